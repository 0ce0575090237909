package dev.gpufleet.worker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Puts an executable named like a real backend binary into a directory; it runs {@link StandInBackend}. */
public final class StandIns {
    private StandIns() {
    }

    public static Path install(Path dir, String binaryName) {
        return install(dir, binaryName, java.util.Map.of());
    }

    /** Like {@link #install(Path, String)}, the script exporting these variables first (simple values only). */
    public static Path install(Path dir, String binaryName, java.util.Map<String, String> env) {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path script = dir.resolve(binaryName);
        StringBuilder exports = new StringBuilder();
        env.forEach((name, value) -> exports.append("export ").append(name).append("='").append(value)
                .append("'\n"));
        String text = "#!/bin/sh\n" + exports + "exec '" + java + "' -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx48m"
                + " -cp '" + testClasses() + "' " + StandInBackend.class.getName() + " \"$@\"\n";
        try {
            Files.createDirectories(dir);
            Files.writeString(script, text, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return script;
    }

    /** An executable named like vLLM, vox-box or MindIE's daemon that runs {@link StandInEngine} in that mode. */
    public static Path installEngine(Path dir, String binaryName, String mode) {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path script = dir.resolve(binaryName);
        String text = "#!/bin/sh\nexec '" + java + "' -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx48m"
                + " -cp '" + testClasses() + "' " + StandInEngine.class.getName() + " " + mode + " \"$@\"\n";
        try {
            Files.createDirectories(dir);
            Files.writeString(script, text, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return script;
    }

    /** An executable named {@code ray} that runs {@link StandInRay}, recording under {@code recordDir}. */
    public static Path installRay(Path dir, Path recordDir) {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path script = dir.resolve("ray");
        String text = "#!/bin/sh\nexport GPUFLEET_TEST_RAY_DIR='" + recordDir + "'\nexec '" + java
                + "' -Xshare:auto -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xmx48m -cp '" + testClasses() + "' "
                + StandInRay.class.getName() + " \"$@\"\n";
        try {
            Files.createDirectories(dir);
            Files.writeString(script, text, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return script;
    }

    /** Where the compiled test classes are; the stand-in needs nothing else on its class path. */
    static Path testClasses() {
        Path fromBuild = Path.of(System.getProperty("user.dir"), "target", "test-classes");
        String classFile = StandInBackend.class.getName().replace('.', '/') + ".class";
        if (Files.isRegularFile(fromBuild.resolve(classFile))) {
            return fromBuild;
        }
        throw new IllegalStateException("cannot find " + classFile + " under " + fromBuild);
    }
}
