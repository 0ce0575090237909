package dev.gpufleet.cli;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Which gateway the CLI talks to and with which key, and where each came from.
 *
 * <p>The server: {@code --server}, then {@code GPUFLEET_SERVER}, then the config file that {@code gpufleet login}
 * writes, then the local embedded default ({@code http://127.0.0.1:8080}, or {@code GPUFLEET_GATEWAY_PORT}).
 * The key: {@code --api-key}, then {@code GPUFLEET_API_KEY}, then the config file's key (only for the server it
 * was saved with), then the admin key the local embedded default's gateway wrote on its first start (only for a
 * loopback server). A key is never sent to a server it was not given or saved for, and the cluster token is never
 * read.
 *
 * @param keySource where the key came from, for messages (never the key itself)
 */
public record Settings(String server, String apiKey, String keySource) {
    public static final String DEFAULT_HOST = "http://127.0.0.1:";
    public static final int DEFAULT_PORT = 8080;

    /** The local embedded default's admin key file: {@code <data dir>/gateway/admin-api-key}. */
    public static Path adminKeyFile(Map<String, String> env, Path home) {
        String dataDir = env.get("GPUFLEET_DATA_DIR");
        Path data = dataDir == null || dataDir.isBlank() ? home.resolve(".gpufleet") : home.resolve(dataDir.trim());
        return data.resolve("gateway").resolve("admin-api-key");
    }

    /** The config file: {@code GPUFLEET_CONFIG}, else {@code $XDG_CONFIG_HOME/gpufleet/config}, else {@code ~/.config/gpufleet/config}. */
    public static Path configFile(Map<String, String> env, Path userHome) {
        String explicit = env.get("GPUFLEET_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit.trim());
        }
        String xdg = env.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg.trim()) : userHome.resolve(".config");
        return base.resolve("gpufleet").resolve("config");
    }

    /**
     * @param config        the config file's values (empty when there is none)
     * @param readAdminKey  reads the local admin key file, empty when it is not there; called only when needed
     */
    public static Settings resolve(String serverOption, String keyOption, Map<String, String> env,
                                   ConfigFile.Values config, Path adminKeyFile,
                                   Function<Path, Optional<String>> readAdminKey) {
        String server;
        if (present(serverOption)) {
            server = normalise(serverOption, "--server");
        } else if (present(env.get("GPUFLEET_SERVER"))) {
            server = normalise(env.get("GPUFLEET_SERVER"), "GPUFLEET_SERVER");
        } else if (present(config.server())) {
            server = normalise(config.server(), "server in " + config.file());
        } else {
            server = DEFAULT_HOST + defaultPort(env);
        }

        if (present(keyOption)) {
            return new Settings(server, keyOption.trim(), "--api-key");
        }
        if (present(env.get("GPUFLEET_API_KEY"))) {
            return new Settings(server, env.get("GPUFLEET_API_KEY").trim(), "GPUFLEET_API_KEY");
        }
        if (present(config.apiKey()) && present(config.server())
                && server.equals(normalise(config.server(), "server in " + config.file()))) {
            return new Settings(server, config.apiKey().trim(), config.file().toString());
        }
        if (isLoopback(server)) {
            Optional<String> adminKey = readAdminKey.apply(adminKeyFile).map(String::trim).filter(k -> !k.isEmpty());
            if (adminKey.isPresent()) {
                return new Settings(server, adminKey.get(), adminKeyFile.toString());
            }
        }
        return new Settings(server, null, null);
    }

    /** What to do when no key was found, for the error that says so. */
    public static String noKeyHelp(String server, Path adminKeyFile) {
        return "no API key for " + server + ": pass --api-key, set GPUFLEET_API_KEY or run 'gpufleet login'"
                + (isLoopback(server) ? " (the local stack's admin key would be read from " + adminKeyFile
                + ", which is not there: has './gpufleet up' run here?)" : "");
    }

    static int defaultPort(Map<String, String> env) {
        String port = env.get("GPUFLEET_GATEWAY_PORT");
        if (!present(port)) {
            return DEFAULT_PORT;
        }
        try {
            int p = Integer.parseInt(port.trim());
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw CliException.usage("GPUFLEET_GATEWAY_PORT must be a port from 1 to 65535, was '" + port + "'");
    }

    /** {@code http(s)://host[:port]} without a trailing slash; a bare {@code host:port} gets {@code http://}. */
    static String normalise(String url, String where) {
        String u = url.trim();
        if (!u.contains("://")) {
            u = "http://" + u;
        }
        while (u.endsWith("/")) {
            u = u.substring(0, u.length() - 1);
        }
        try {
            URI uri = URI.create(u);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return u;
            }
        } catch (IllegalArgumentException ignored) {
            // reported below
        }
        throw CliException.usage(where + ": must be a URL such as http://127.0.0.1:8080, was '" + url + "'");
    }

    static boolean isLoopback(String server) {
        String host = URI.create(server).getHost();
        return host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]")
                || host.equals("::1"));
    }

    private static boolean present(String value) {
        return value != null && !value.isBlank();
    }
}
