package dev.gpufleet.gateway.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The web console's files, read once from the gateway's jar: {@code index.html} and the assets it loads. Every asset
 * is served under one version, a hash of all the files ({@code /console/<version>/app.js}), so a browser may keep
 * them for good: a changed file is a new version, and so new URLs. Only {@code index.html}, which names the
 * version, must be asked for again each time. Modules import each other by relative paths, so they stay within the
 * version they were loaded from.
 */
public final class ConsoleAssets {
    /** Where index.html names the version; replaced when the files are loaded. */
    static final String VERSION_MARK = "@VERSION@";
    /** The list of files beside them on the classpath, one name a line. */
    static final String MANIFEST = "files.txt";
    static final String INDEX = "index.html";

    /** One file as it is sent. */
    public record Asset(String name, byte[] body, String contentType) {
    }

    private final String version;
    private final Asset index;
    private final Map<String, Asset> assets;

    private ConsoleAssets(String version, Asset index, Map<String, Asset> assets) {
        this.version = version;
        this.index = index;
        this.assets = assets;
    }

    /**
     * @param files name (relative, such as {@code pages/models.js}) to content; must hold {@link #INDEX}
     */
    public static ConsoleAssets of(SortedMap<String, byte[]> files) {
        byte[] indexTemplate = files.get(INDEX);
        if (indexTemplate == null) {
            throw new IllegalArgumentException("the console's files have no " + INDEX);
        }
        String version = versionOf(files);
        Map<String, Asset> assets = new LinkedHashMap<>();
        files.forEach((name, body) -> {
            if (!name.equals(INDEX)) {
                assets.put(name, new Asset(name, body, contentType(name)));
            }
        });
        byte[] index = new String(indexTemplate, StandardCharsets.UTF_8).replace(VERSION_MARK, version)
                .getBytes(StandardCharsets.UTF_8);
        return new ConsoleAssets(version, new Asset(INDEX, index, contentType(INDEX)), Map.copyOf(assets));
    }

    /**
     * Reads the files named in {@code <folder>/files.txt} through {@code open} (a class loader's resources).
     */
    public static ConsoleAssets load(String folder, Function<String, InputStream> open) {
        SortedMap<String, byte[]> files = new TreeMap<>();
        String manifest = new String(read(folder + "/" + MANIFEST, open), StandardCharsets.UTF_8);
        for (String line : manifest.split("\n")) {
            String name = line.strip();
            if (name.isEmpty() || name.startsWith("#")) {
                continue;
            }
            files.put(name, read(folder + "/" + name, open));
        }
        return of(files);
    }

    public String version() {
        return version;
    }

    public Asset index() {
        return index;
    }

    /** An asset by its path below the version ({@code app.js}, {@code pages/models.js}). */
    public Optional<Asset> asset(String name) {
        return Optional.ofNullable(assets.get(name));
    }

    /** What the first load costs at most: index.html and every asset, uncompressed. */
    public long totalBytes() {
        return index.body().length + assets.values().stream().mapToLong(a -> a.body().length).sum();
    }

    static String contentType(String name) {
        String extension = name.substring(name.lastIndexOf('.') + 1);
        return switch (extension) {
            case "html" -> "text/html; charset=utf-8";
            case "js" -> "text/javascript; charset=utf-8";
            case "css" -> "text/css; charset=utf-8";
            case "svg" -> "image/svg+xml";
            case "png" -> "image/png";
            default -> "application/octet-stream";
        };
    }

    private static String versionOf(SortedMap<String, byte[]> files) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            files.forEach((name, body) -> {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(Integer.toString(body.length).getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(body);
            });
            return HexFormat.of().formatHex(sha.digest(), 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] read(String path, Function<String, InputStream> open) {
        try (InputStream in = open.apply(path)) {
            if (in == null) {
                throw new IllegalStateException("the console's file " + path + " is missing from the gateway's jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console's file " + path, e);
        }
    }
}
