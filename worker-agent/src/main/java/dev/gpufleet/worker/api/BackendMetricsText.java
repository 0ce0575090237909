package dev.gpufleet.worker.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Prometheus text of several backends as one exposition: each sample gets an {@code instance} label naming the
 * gpufleet instance it came from, and each metric family is written once (its HELP and TYPE, then the samples of
 * every backend), as the format requires. Comment lines other than HELP and TYPE are dropped; a backend whose text
 * could not be had is named in a comment instead.
 */
final class BackendMetricsText {
    /** One backend's answer: its text, or why there is none ({@code text} null). */
    record Scraped(String instanceId, String text, String problem) {
        static Scraped of(String instanceId, String text) {
            return new Scraped(instanceId, text, null);
        }

        static Scraped failed(String instanceId, String problem) {
            return new Scraped(instanceId, null, problem);
        }
    }

    private static final class Family {
        String help;
        String type;
        final List<String> samples = new ArrayList<>();
    }

    private BackendMetricsText() {
    }

    static String merge(List<Scraped> scraped) {
        Map<String, Family> families = new LinkedHashMap<>();
        StringBuilder out = new StringBuilder();
        for (Scraped s : scraped) {
            if (s.text() == null) {
                out.append("# gpufleet: no metrics from instance ").append(oneLine(s.instanceId())).append(": ")
                        .append(oneLine(s.problem())).append('\n');
                continue;
            }
            String label = "instance=\"" + escape(s.instanceId()) + "\"";
            String current = null;
            for (String raw : s.text().split("\n")) {
                String line = raw.strip();
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith("#")) {
                    String[] words = line.split("\\s+", 4);
                    if (words.length >= 3 && (words[1].equals("HELP") || words[1].equals("TYPE"))) {
                        current = words[2];
                        Family family = families.computeIfAbsent(current, k -> new Family());
                        String rest = words.length == 4 ? words[3] : "";
                        if (words[1].equals("HELP") && family.help == null) {
                            family.help = rest;
                        } else if (words[1].equals("TYPE") && family.type == null) {
                            family.type = rest;
                        }
                    }
                    continue;
                }
                String sampleName = sampleName(line);
                if (sampleName.isEmpty()) {
                    continue;
                }
                String familyName = current != null && sampleName.startsWith(current) ? current : sampleName;
                families.computeIfAbsent(familyName, k -> new Family()).samples.add(withLabel(line, sampleName,
                        label));
            }
        }
        families.forEach((name, family) -> {
            if (family.samples.isEmpty()) {
                return;
            }
            if (family.help != null) {
                out.append("# HELP ").append(name).append(' ').append(family.help).append('\n');
            }
            if (family.type != null) {
                out.append("# TYPE ").append(name).append(' ').append(family.type).append('\n');
            }
            family.samples.forEach(sample -> out.append(sample).append('\n'));
        });
        return out.toString();
    }

    private static String sampleName(String line) {
        int end = 0;
        while (end < line.length()) {
            char c = line.charAt(end);
            if (!(Character.isLetterOrDigit(c) || c == '_' || c == ':')) {
                break;
            }
            end++;
        }
        return line.substring(0, end);
    }

    /** The sample with the instance's label first: {@code name{instance="…",…} value}. */
    private static String withLabel(String line, String name, String label) {
        String rest = line.substring(name.length());
        if (rest.startsWith("{")) {
            String inner = rest.substring(1);
            return name + "{" + label + (inner.startsWith("}") ? "" : ",") + inner;
        }
        return name + "{" + label + "}" + rest;
    }

    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String oneLine(String value) {
        return String.valueOf(value).replace('\n', ' ').replace('\r', ' ');
    }
}
