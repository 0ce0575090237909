package dev.gpufleet.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {
    private static final Path ADMIN_KEY_FILE = Path.of("/checkout/.gpufleet/gateway/admin-api-key");
    private static final Path CONFIG = Path.of("/home/u/.config/gpufleet/config");

    /**
     * One row: what is given where (null: nothing), and the server, key and key source expected.
     * The local admin key file holds "local-admin" when {@code adminKeyFile} is true.
     */
    record Row(String name, String serverOption, String keyOption, String envServer, String envKey,
               String configServer, String configKey, boolean adminKeyFile,
               String server, String key, String keySource) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> rows() {
        return Stream.of(
                new Row("nothing anywhere: the local default, no key", null, null, null, null, null, null, false,
                        "http://127.0.0.1:8080", null, null),
                new Row("nothing but the local stack's admin key", null, null, null, null, null, null, true,
                        "http://127.0.0.1:8080", "local-admin", ADMIN_KEY_FILE.toString()),
                new Row("options win over everything", "https://a.example:9000/", "opt-key", "http://b.example",
                        "env-key", "http://c.example", "cfg-key", true,
                        "https://a.example:9000", "opt-key", "--api-key"),
                new Row("environment over the config file", null, null, "http://b.example", "env-key",
                        "http://b.example", "cfg-key", true, "http://b.example", "env-key", "GPUFLEET_API_KEY"),
                new Row("the config file's server and key", null, null, null, null, "http://c.example:8080",
                        "cfg-key", true, "http://c.example:8080", "cfg-key", CONFIG.toString()),
                new Row("the config file's key goes only to its own server", "http://other.example", null, null,
                        null, "http://c.example", "cfg-key", true, "http://other.example", null, null),
                new Row("the config file's key for its server named by the environment", null, null,
                        "http://c.example/", null, "http://c.example", "cfg-key", false,
                        "http://c.example", "cfg-key", CONFIG.toString()),
                new Row("the local admin key goes to a loopback server only", "http://gpu.example:8080", null, null,
                        null, null, null, true, "http://gpu.example:8080", null, null),
                new Row("the local admin key for localhost on another port", "localhost:18080", null, null, null,
                        null, null, true, "http://localhost:18080", "local-admin", ADMIN_KEY_FILE.toString()),
                new Row("a key from the environment goes to the server given", "http://gpu.example", null, null,
                        "env-key", null, null, true, "http://gpu.example", "env-key", "GPUFLEET_API_KEY"),
                new Row("blank values count as absent", " ", " ", "", "", null, null, true,
                        "http://127.0.0.1:8080", "local-admin", ADMIN_KEY_FILE.toString()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void serverAndKeyComeFromTheFirstPlaceThatHasThem(Row row) {
        Map<String, String> env = new HashMap<>();
        if (row.envServer() != null) {
            env.put("GPUFLEET_SERVER", row.envServer());
        }
        if (row.envKey() != null) {
            env.put("GPUFLEET_API_KEY", row.envKey());
        }
        Settings settings = Settings.resolve(row.serverOption(), row.keyOption(), env,
                new ConfigFile.Values(CONFIG, row.configServer(), row.configKey()), ADMIN_KEY_FILE,
                file -> row.adminKeyFile() && file.equals(ADMIN_KEY_FILE) ? Optional.of("local-admin\n")
                        : Optional.empty());
        assertEquals(new Settings(row.server(), row.key(), row.keySource()), settings);
    }

    @Test
    void theLocalDefaultFollowsTheLaunchersGatewayPort() {
        Settings settings = Settings.resolve(null, null, Map.of("GPUFLEET_GATEWAY_PORT", "18080"),
                new ConfigFile.Values(CONFIG, null, null), ADMIN_KEY_FILE, file -> Optional.empty());
        assertEquals("http://127.0.0.1:18080", settings.server());
    }

    @Test
    void aServerThatIsNoUrlIsAUsageErrorNamingWhereItCameFrom() {
        CliException e = assertThrows(CliException.class, () -> Settings.resolve("ftp://x", null, Map.of(),
                new ConfigFile.Values(CONFIG, null, null), ADMIN_KEY_FILE, file -> Optional.empty()));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage().startsWith("--server: must be a URL"), e.getMessage());
        CliException port = assertThrows(CliException.class, () -> Settings.resolve(null, null,
                Map.of("GPUFLEET_GATEWAY_PORT", "80000"), new ConfigFile.Values(CONFIG, null, null),
                ADMIN_KEY_FILE, file -> Optional.empty()));
        assertTrue(port.getMessage().startsWith("GPUFLEET_GATEWAY_PORT"), port.getMessage());
    }

    @Test
    void theAdminKeyFileIsUnderTheDataDirWhichGpufleetDataDirMoves() {
        Path home = Path.of("/checkout");
        assertEquals(Path.of("/checkout/.gpufleet/gateway/admin-api-key"), Settings.adminKeyFile(Map.of(), home));
        assertEquals(Path.of("/checkout/data/gateway/admin-api-key"),
                Settings.adminKeyFile(Map.of("GPUFLEET_DATA_DIR", "data"), home));
        assertEquals(Path.of("/srv/fleet/gateway/admin-api-key"),
                Settings.adminKeyFile(Map.of("GPUFLEET_DATA_DIR", "/srv/fleet"), home));
    }

    @Test
    void theConfigFileIsGpufleetConfigThenXdgThenDotConfig() {
        Path home = Path.of("/home/u");
        assertEquals(Path.of("/etc/x"), Settings.configFile(Map.of("GPUFLEET_CONFIG", "/etc/x",
                "XDG_CONFIG_HOME", "/xdg"), home));
        assertEquals(Path.of("/xdg/gpufleet/config"), Settings.configFile(Map.of("XDG_CONFIG_HOME", "/xdg"), home));
        assertEquals(Path.of("/home/u/.config/gpufleet/config"), Settings.configFile(Map.of(), home));
    }

    @Test
    void theConfigFileIsWrittenForItsOwnerOnlyAndReadBack(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/config");
        ConfigFile.write(file, "http://gpu.example:8080", "gpf_a=b:c#d\\e");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        ConfigFile.Values values = ConfigFile.read(file);
        assertEquals("http://gpu.example:8080", values.server());
        assertEquals("gpf_a=b:c#d\\e", values.apiKey());
        assertEquals(1, Files.list(file.getParent()).count(), "no temporary file left behind");
        ConfigFile.write(file, "http://other.example", "k2");
        assertEquals("k2", ConfigFile.read(file).apiKey());
    }
}
