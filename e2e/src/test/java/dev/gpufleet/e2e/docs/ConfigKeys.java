package dev.gpufleet.e2e.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The {@code gpufleet.*} settings the code reads, found in its source text: {@code @ConfigProperty(name = ...)},
 * {@code ${...}} expressions, the properties files' keys, and every leaf of a {@code @ConfigMapping} interface
 * (methods in kebab case, {@code @WithName} honoured, nested interfaces as groups). Text, not reflection, so one
 * test sees every module without putting the services on its classpath.
 */
final class ConfigKeys {
    static final String PREFIX = "gpufleet.";

    private static final Pattern CONFIG_PROPERTY = Pattern.compile("@ConfigProperty\\s*\\(\\s*name\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern EXPRESSION = Pattern.compile("\\$\\{(gpufleet\\.[A-Za-z0-9.-]+)(?::[^}]*)?}");
    private static final Pattern MAPPING = Pattern.compile("@ConfigMapping\\s*\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"");
    private static final Pattern INTERFACE = Pattern.compile("\\binterface\\s+(\\w+)[^{]*\\{");
    /** An abstract accessor: annotations, a return type, a name, no parameters, a semicolon (no body, not default). */
    private static final Pattern ACCESSOR = Pattern.compile(
            "((?:@[\\w.]+(?:\\([^)]*\\))?\\s+)*)([\\w.]+(?:<[^;(){}]*>)?)\\s+(\\w+)\\s*\\(\\s*\\)\\s*;");
    private static final Pattern WITH_NAME = Pattern.compile("@(?:[\\w.]*\\.)?WithName\\s*\\(\\s*\"([^\"]+)\"");
    private static final Pattern PROPERTY_LINE = Pattern.compile("^(?:%[\\w,-]+\\.)?(gpufleet\\.[A-Za-z0-9.-]+)\\s*=",
            Pattern.MULTILINE);

    private ConfigKeys() {
    }

    /** Every {@code gpufleet.*} key of the modules' {@code src/main} under the repository root. */
    static Set<String> inRepository(Path root) {
        Set<String> keys = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(p -> p.toString().replace('\\', '/').contains("/src/main/"))
                    .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/.gpufleet/"))
                    .forEach(p -> {
                        String name = p.getFileName().toString();
                        if (name.endsWith(".java")) {
                            keys.addAll(inJava(read(p)));
                        } else if (name.equals("application.properties")) {
                            keys.addAll(inProperties(read(p)));
                        }
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return keys;
    }

    static Set<String> inProperties(String text) {
        Set<String> keys = new TreeSet<>();
        Matcher m = PROPERTY_LINE.matcher(text);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    static Set<String> inJava(String source) {
        String code = stripComments(source);
        Set<String> keys = new TreeSet<>();
        Matcher m = CONFIG_PROPERTY.matcher(code);
        while (m.find()) {
            keys.add(m.group(1));
        }
        m = EXPRESSION.matcher(code);
        while (m.find()) {
            keys.add(m.group(1));
        }
        m = MAPPING.matcher(code);
        if (m.find()) {
            keys.addAll(mappingKeys(m.group(1), code.substring(m.end())));
        }
        keys.removeIf(k -> !k.startsWith(PREFIX));
        return keys;
    }

    /** The leaves of the first interface after the annotation, with groups resolved through nested interfaces. */
    private static Set<String> mappingKeys(String prefix, String code) {
        Map<String, String> bodies = interfaceBodies(code);
        Matcher first = INTERFACE.matcher(code);
        if (!first.find()) {
            throw new IllegalArgumentException("@ConfigMapping(prefix = \"" + prefix + "\") on no interface");
        }
        Set<String> keys = new TreeSet<>();
        collect(prefix, first.group(1), bodies, keys, new ArrayDeque<>());
        return keys;
    }

    private static void collect(String prefix, String type, Map<String, String> bodies, Set<String> keys,
                                Deque<String> path) {
        if (path.contains(type)) {
            throw new IllegalArgumentException("recursive config group " + type);
        }
        path.push(type);
        Matcher m = ACCESSOR.matcher(bodies.get(type));
        while (m.find()) {
            Matcher named = WITH_NAME.matcher(m.group(1));
            String key = prefix + "." + (named.find() ? named.group(1) : kebab(m.group(3)));
            String returned = m.group(2);
            String simple = returned.substring(returned.lastIndexOf('.') + 1);
            if (bodies.containsKey(simple)) {
                collect(key, simple, bodies, keys, path);
            } else {
                keys.add(key);
            }
        }
        path.pop();
    }

    /** Each interface's own body (its nested interfaces' bodies cut out), by simple name. */
    private static Map<String, String> interfaceBodies(String code) {
        Map<String, String> bodies = new HashMap<>();
        Matcher m = INTERFACE.matcher(code);
        while (m.find()) {
            int depth = 1;
            int i = m.end();
            StringBuilder own = new StringBuilder();
            int nestedDepth = -1;
            for (; i < code.length() && depth > 0; i++) {
                char c = code.charAt(i);
                if (c == '{') {
                    depth++;
                    if (nestedDepth < 0) {
                        nestedDepth = depth;
                    }
                } else if (c == '}') {
                    depth--;
                    if (depth < nestedDepth) {
                        nestedDepth = -1;
                        own.append(" {} ");
                        continue;
                    }
                }
                if (nestedDepth < 0 && depth > 0) {
                    own.append(c);
                }
            }
            bodies.putIfAbsent(m.group(1), own.toString());
        }
        return bodies;
    }

    static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static String stripComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("(?<!:)//[^\\n]*", " ");
    }

    /** The property names in the first column of the reference's tables: {@code | `gpufleet.x` | ...}. */
    static Set<String> documented(String markdown) {
        Set<String> keys = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\|\\s*`([a-z][A-Za-z0-9.-]+)`\\s*\\|").matcher(markdown);
        while (m.find()) {
            keys.add(m.group(1));
        }
        return keys;
    }

    static List<String> missing(Set<String> wanted, Set<String> present) {
        return wanted.stream().filter(k -> !present.contains(k)).sorted().toList();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
