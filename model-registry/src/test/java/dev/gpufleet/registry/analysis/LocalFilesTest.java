package dev.gpufleet.registry.analysis;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class LocalFilesTest {
    @TempDir
    Path dir;

    final LocalFiles files = new LocalFiles();

    @Test
    void tellsFilesDirectoriesAndMissingPathsApart() throws IOException {
        Path model = Files.write(dir.resolve("m.gguf"), new byte[12345]);
        assertEquals(LocalFile.file(model.toString(), 12345), files.stat(model.toString()));
        assertEquals(LocalFile.directory(dir.toString()), files.stat(dir.toString()));
        String gone = dir.resolve("gone.gguf").toString();
        assertEquals(LocalFile.missing(gone), files.stat(gone));
    }

    @Test
    void aPathThisHostCannotEvenParseIsUnreadable() {
        LocalFile file = files.stat("/models/bad\u0000name.gguf");
        assertEquals(LocalFile.Kind.UNREADABLE, file.kind(), file.toString());
    }
}
