using Fanout.Contracts.Topology;

namespace Fanout.Infra;

/// <summary>Finds a function's deployable folder (<c>&lt;assets&gt;/&lt;Function&gt;/bootstrap</c>, written by
/// scripts/build-functions.sh) and checks it before CDK uploads it: a missing, non-executable or wrong-CPU
/// bootstrap would otherwise deploy fine and fail only when Lambda first starts it.</summary>
public static class FunctionBundle
{
    public const string BuildHint = "run scripts/build-functions.sh";

    private const ushort ElfMachineX86_64 = 62;
    private const ushort ElfMachineAarch64 = 183;

    /// <returns>The absolute path of the folder to hand to <c>Code.FromAsset</c>.</returns>
    public static string Locate(string assetsDir, FunctionSpec function, string architecture)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(assetsDir);
        ArgumentNullException.ThrowIfNull(function);
        var folder = Path.GetFullPath(Path.Combine(assetsDir, function.Name));
        var bootstrap = Path.Combine(folder, "bootstrap");
        var build = architecture == StackSettings.Arm64 ? $"{BuildHint} --arch arm64" : BuildHint;
        if (!File.Exists(bootstrap))
        {
            throw new InfraConfigurationException(
                $"The {function.Name} function has not been built: {bootstrap} does not exist. Build the functions first ({build}).");
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(bootstrap) & UnixFileMode.UserExecute) == 0)
        {
            throw new InfraConfigurationException($"{bootstrap} is not executable, so Lambda could not start it; {build}.");
        }

        var expected = architecture == StackSettings.Arm64 ? ElfMachineAarch64 : ElfMachineX86_64;
        var actual = ReadElfMachine(bootstrap);
        if (actual != expected)
        {
            var found = actual switch
            {
                null => "not a Linux executable",
                ElfMachineX86_64 => "built for x86_64",
                ElfMachineAarch64 => "built for arm64",
                _ => $"built for ELF machine {actual}",
            };
            throw new InfraConfigurationException(
                $"{bootstrap} is {found}, but the stack deploys {architecture} functions; {build}, or set the '{StackSettings.Keys.Architecture}' context to match.");
        }

        return folder;
    }

    /// <summary>The CPU an ELF executable is built for (<c>e_machine</c>), or null when the file is not ELF.</summary>
    internal static ushort? ReadElfMachine(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
            || header[0] != 0x7F || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
        {
            return null;
        }

        // e_ident[EI_DATA] == 1 is little-endian, the only byte order Lambda runs.
        return header[5] == 1 ? (ushort)(header[18] | (header[19] << 8)) : null;
    }
}
