package dev.gpufleet.events;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Kubernetes topic definitions must name exactly the topics of the contract, compacted where it says so. */
class DeployedTopicsTest {
    private static final Path MANIFEST = Path.of("..", "deploy", "kubernetes", "base", "kafka-topics.yaml");

    @Test
    void deployedTopicsMatchTheContract() throws Exception {
        String yaml = Files.readString(MANIFEST);
        List<String> names = new ArrayList<>();
        List<String> compacted = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---$")) {
            Matcher name = Pattern.compile("(?m)^\\s+topicName:\\s*(\\S+)$").matcher(doc);
            if (!name.find()) {
                continue;
            }
            names.add(name.group(1));
            if (Pattern.compile("(?m)^\\s+cleanup\\.policy:\\s*compact$").matcher(doc).find()) {
                compacted.add(name.group(1));
            }
        }
        assertEquals(Topics.ALL, names);
        assertEquals(Topics.COMPACTED, compacted);
    }
}
