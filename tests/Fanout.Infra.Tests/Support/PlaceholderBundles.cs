using Fanout.Contracts.Topology;

namespace Fanout.Infra.Tests.Support;

/// <summary>Stand-in function bundles: a tiny file with a valid ELF header per function, so template tests
/// run without the minutes-long AOT build. Only <see cref="FunctionAssetTests"/> uses the real build output.</summary>
internal static class PlaceholderBundles
{
    public const ushort X86_64 = 62;
    public const ushort Aarch64 = 183;

    private static readonly Lazy<string> X86Folder = new(() => Create("x86_64", X86_64));

    /// <summary>A folder with <c>&lt;Function&gt;/bootstrap</c> for every topology function, built for x86_64.</summary>
    public static string ForX86 => X86Folder.Value;

    /// <summary>Creates a bundle folder whose bootstraps claim the given ELF machine.</summary>
    public static string Create(string name, ushort elfMachine, bool executable = true)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "placeholder-bundles", name);
        foreach (var function in FanoutTopology.Functions)
        {
            var folder = Path.Combine(root, function.Name);
            Directory.CreateDirectory(folder);
            var bootstrap = Path.Combine(folder, "bootstrap");
            var header = new byte[64];
            header[0] = 0x7F;
            header[1] = (byte)'E';
            header[2] = (byte)'L';
            header[3] = (byte)'F';
            header[4] = 2; // 64-bit
            header[5] = 1; // little-endian
            header[18] = (byte)(elfMachine & 0xFF);
            header[19] = (byte)(elfMachine >> 8);
            File.WriteAllBytes(bootstrap, header);
            File.SetUnixFileMode(bootstrap, executable
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return root;
    }
}
