package dev.gpufleet.llamacpp.engine;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Puts java-llama.cpp's native library where it can be loaded before its loader runs. The loader on its own
 * extracts to {@code java.io.tmpdir} (failing when that directory is missing), writes one shared file name that
 * concurrent processes overwrite, and deletes every file starting with "llama" in that directory. Instead the
 * library goes to a directory named after its content hash under a per-user directory, written atomically, and
 * the loader is pointed at it.
 */
public final class NativeLibrary {

    static final String LIB_PATH_PROPERTY = "de.kherud.llama.lib.path";
    static final String LOADER_TMPDIR_PROPERTY = "de.kherud.llama.tmpdir";

    private NativeLibrary() {
    }

    /** Returns the directory the library is loaded from. */
    public static Path prepare() throws IOException {
        String preset = System.getProperty(LIB_PATH_PROPERTY);
        if (preset != null && !preset.isBlank()) {
            return Path.of(preset);
        }
        String resourceDir = "/de/kherud/llama/" + nativeFolder();
        String libraryName = System.mapLibraryName("jllama");
        String resource = resourceDir + "/" + libraryName;
        String hash = sha256(resource);
        IOException failure = null;
        for (Path base : candidateBases()) {
            try {
                Path dir = base.resolve("gpufleet-llamacpp-" + safeUserName()).resolve(hash.substring(0, 16));
                Files.createDirectories(dir);
                Path library = dir.resolve(libraryName);
                if (!Files.isRegularFile(library)) {
                    Path partial = Files.createTempFile(dir, "partial-", ".tmp");
                    try (InputStream in = open(resource)) {
                        Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                        Files.move(partial, library, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    } finally {
                        Files.deleteIfExists(partial);
                    }
                }
                System.setProperty(LIB_PATH_PROPERTY, dir.toString());
                System.setProperty(LOADER_TMPDIR_PROPERTY, dir.toString());
                return dir;
            } catch (IOException e) {
                failure = e;
            }
        }
        throw new IOException("cannot extract the llama.cpp native library: " + failure, failure);
    }

    private static List<Path> candidateBases() {
        List<Path> bases = new ArrayList<>();
        String tmp = System.getProperty("java.io.tmpdir");
        if (tmp != null && !tmp.isBlank()) {
            bases.add(Path.of(tmp));
        }
        bases.add(Path.of("/tmp"));
        String home = System.getProperty("user.home");
        if (home != null && !home.isBlank()) {
            bases.add(Path.of(home, ".cache"));
        }
        return bases;
    }

    /** The loader's own folder name for this platform, e.g. Linux/x86_64. */
    private static String nativeFolder() {
        try {
            Class<?> osInfo = Class.forName("de.kherud.llama.OSInfo");
            Method m = osInfo.getDeclaredMethod("getNativeLibFolderPathForCurrentOS");
            m.setAccessible(true);
            return (String) m.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "");
            String osFolder = os.contains("mac") ? "Mac" : os.contains("win") ? "Windows" : "Linux";
            String archFolder = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch;
            return osFolder + "/" + archFolder;
        }
    }

    private static InputStream open(String resource) throws IOException {
        InputStream in = NativeLibrary.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("no native library for this platform in the jar (" + resource + ")");
        }
        return in;
    }

    private static String sha256(String resource) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (InputStream in = new DigestInputStream(open(resource), digest)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String safeUserName() {
        String user = System.getProperty("user.name", "user");
        String safe = user.replaceAll("[^A-Za-z0-9._-]", "_");
        return safe.isEmpty() ? "user" : safe;
    }
}
