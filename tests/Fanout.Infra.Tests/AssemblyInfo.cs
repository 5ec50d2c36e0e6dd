using System.Runtime.Versioning;

// The tests check Unix file modes of Lambda bundles (an executable bootstrap); they do not run on Windows.
[assembly: UnsupportedOSPlatform("windows")]
