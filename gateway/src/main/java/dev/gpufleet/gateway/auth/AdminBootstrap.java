package dev.gpufleet.gateway.auth;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;

/**
 * First start: while there is no user at all, creates user {@code admin} (an admin) with one key and writes the key
 * to {@code <gpufleet.gateway.data-dir>/admin-api-key}, readable by this OS user only. The key is
 * {@code gpufleet.gateway.admin-api-key} (env {@code GPUFLEET_GATEWAY_ADMIN_API_KEY}, on Kubernetes from a Secret)
 * when that is set, else a new random one; a set value that is not a well-formed key ({@code gpf_<16 hex>_<64 hex>})
 * or still a placeholder fails the start. Once any user exists the setting is not read again. The key is never logged; the
 * log names the file. The file is written (as a temporary file) before the rows commit and moved into place after,
 * so a start that fails halfway leaves either no admin or an admin whose key is on disk.
 */
@ApplicationScoped
public class AdminBootstrap {
    public static final String ADMIN_NAME = "admin";
    public static final String KEY_FILE = "admin-api-key";
    private static final Logger LOG = Logger.getLogger(AdminBootstrap.class);

    private final AuthStore store;
    private final Path dataDir;

    public static final String KEY_SETTING = "gpufleet.gateway.admin-api-key";
    private final Optional<String> givenKey;

    public AdminBootstrap(AuthStore store, @ConfigProperty(name = "gpufleet.gateway.data-dir",
            defaultValue = "${user.home}/.gpufleet/gateway") Path dataDir,
                          @ConfigProperty(name = KEY_SETTING) Optional<String> givenKey) {
        this.store = store;
        this.dataDir = dataDir;
        this.givenKey = givenKey.map(String::strip).filter(k -> !k.isEmpty());
    }

    /** The first admin's key: the given one if set (checked), else a new one. */
    static ApiKeyFormat.NewKey firstKey(Optional<String> given) {
        if (given.isEmpty()) {
            return ApiKeyFormat.generate();
        }
        return ApiKeyFormat.given(given.get()).orElseThrow(() -> new IllegalArgumentException(KEY_SETTING
                + " (GPUFLEET_GATEWAY_ADMIN_API_KEY) is not an API key: it must be gpf_<16 hex digits>_<64 hex "
                + "digits> (for example: echo gpf_$(openssl rand -hex 8)_$(openssl rand -hex 32)), or unset to have "
                + "one generated"));
    }

    void onStart(@Observes @Priority(10) StartupEvent ignored) {
        if (store.countUsers().await().atMost(Duration.ofSeconds(60)) > 0) {
            return;
        }
        ApiKeyFormat.NewKey key = firstKey(givenKey);
        Path file = dataDir.resolve(KEY_FILE).toAbsolutePath();
        Path pending = dataDir.resolve(KEY_FILE + ".pending").toAbsolutePath();
        writePrivate(pending, key.key() + "\n");
        boolean created;
        try {
            created = store.createFirstAdmin(ADMIN_NAME, key).await().atMost(Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            deleteQuietly(pending);
            throw e;
        }
        if (!created) {
            deleteQuietly(pending);
            return;
        }
        try {
            Files.move(pending, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not move the admin key into " + file, e);
        }
        LOG.infof("First start: created user '%s' and its API key; the key is in %s (readable by this user only)",
                ADMIN_NAME, file);
    }

    static void writePrivate(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            Files.deleteIfExists(file);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
            Files.writeString(file, content, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file, e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warnf("Could not delete %s: %s", file, e.toString());
        }
    }
}
