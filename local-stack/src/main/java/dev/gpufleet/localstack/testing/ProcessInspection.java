package dev.gpufleet.localstack.testing;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What Linux's {@code /proc} says about a running process (this user's): the environment it was started with, and
 * the addresses its sockets listen on. For tests that check what a process the agent started can see and who can
 * reach it.
 */
public final class ProcessInspection {
    private static final Pattern SOCKET = Pattern.compile("socket:\\[(\\d+)]");
    /** {@code /proc/net/tcp}'s state column: 0A is LISTEN. */
    private static final String LISTEN = "0A";

    private ProcessInspection() {
    }

    /** The process and every descendant alive now. */
    public static List<Long> withDescendants(long pid) {
        List<Long> pids = new ArrayList<>();
        pids.add(pid);
        ProcessHandle.of(pid).ifPresent(p -> p.descendants().forEach(d -> pids.add(d.pid())));
        return pids;
    }

    /** {@code /proc/PID/environ}: the environment the process was started with. */
    public static Map<String, String> environ(long pid) throws IOException {
        byte[] bytes = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
        Map<String, String> environment = new TreeMap<>();
        for (String entry : new String(bytes, StandardCharsets.UTF_8).split("\0")) {
            int equals = entry.indexOf('=');
            if (equals > 0) {
                environment.put(entry.substring(0, equals), entry.substring(equals + 1));
            }
        }
        return environment;
    }

    /** A TCP socket in LISTEN state: {@code address} as Java prints it, {@code 0.0.0.0} or {@code ::} for all. */
    public record Listening(String address, int port) {
        public boolean allInterfaces() {
            return address.equals("0.0.0.0") || address.equals("0:0:0:0:0:0:0:0") || address.equals("::");
        }
    }

    /** The TCP sockets the process listens on, from its file descriptors matched against /proc/net/tcp and tcp6. */
    public static List<Listening> listening(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    Matcher m = SOCKET.matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(m.group(1));
                    }
                } catch (IOException e) {
                    // closed while listed
                }
            }
        }
        List<Listening> listening = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.isReadable(file)) {
                continue;
            }
            try (Stream<String> lines = Files.lines(file)) {
                lines.skip(1).map(String::trim).map(l -> l.split("\\s+")).filter(f -> f.length > 9)
                        .filter(f -> f[3].equals(LISTEN) && inodes.contains(f[9]))
                        .forEach(f -> listening.add(parse(f[1])));
            }
        }
        return listening;
    }

    /** {@code 0100007F:9C40} (IPv4, little-endian words) or 32 hex digits for IPv6. */
    static Listening parse(String local) {
        String[] parts = local.split(":");
        byte[] raw = new BigInteger("1" + parts[0], 16).toByteArray();
        byte[] words = new byte[parts[0].length() / 2];
        System.arraycopy(raw, raw.length - words.length, words, 0, words.length);
        byte[] address = new byte[words.length];
        for (int w = 0; w < words.length; w += 4) {
            for (int b = 0; b < 4; b++) {
                address[w + b] = words[w + 3 - b];
            }
        }
        try {
            return new Listening(InetAddress.getByAddress(address).getHostAddress(), Integer.parseInt(parts[1], 16));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(local, e);
        }
    }
}
