package dev.gpufleet.worker.devices;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A CommandRunner that answers from recorded outputs, or fails the way a broken tool does. */
final class RecordedTools implements CommandRunner {
    private final Map<String, String> outputs = new HashMap<>();
    private final Map<String, String> failures = new HashMap<>();
    final List<String> ran = new ArrayList<>();

    static String fixture(String name) {
        try (InputStream in = RecordedTools.class.getResourceAsStream("/devices/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture /devices/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RecordedTools prints(List<String> command, String output) {
        outputs.put(String.join(" ", command), output);
        return this;
    }

    RecordedTools fails(List<String> command, String message) {
        failures.put(String.join(" ", command), message);
        return this;
    }

    @Override
    public Optional<String> find(String tool) {
        return (outputs.keySet().stream().anyMatch(c -> c.startsWith(tool + " "))
                || failures.keySet().stream().anyMatch(c -> c.startsWith(tool + " ")))
                ? Optional.of("/usr/bin/" + tool) : Optional.empty();
    }

    @Override
    public String run(List<String> command, Duration timeout) throws ToolFailure {
        String line = String.join(" ", command);
        ran.add(line);
        if (failures.containsKey(line)) {
            throw new ToolFailure(failures.get(line));
        }
        String output = outputs.get(line);
        if (output == null) {
            throw new ToolFailure(line + " was not recorded");
        }
        return output;
    }
}
