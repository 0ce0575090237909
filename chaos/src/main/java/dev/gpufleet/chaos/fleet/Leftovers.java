package dev.gpufleet.chaos.fleet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a crashed earlier run left: processes whose command line carries the suite's marker (every JVM it starts,
 * the backends included) or names a path under its directory (PostgreSQL's server names its data directory), and
 * the network's namespaces and bridge. Never this process or its ancestors.
 */
public final class Leftovers {
    /** A system property on every JVM the suite starts; its value is the run's directory. */
    public static final String MARKER = "-Dgpufleet.chaos=";

    private Leftovers() {
    }

    /** Kills them; returns a line for each thing removed. */
    public static List<String> remove(Path chaosRoot, boolean network) {
        List<String> removed = new ArrayList<>();
        Set<Long> spared = new HashSet<>();
        ProcessHandle self = ProcessHandle.current();
        spared.add(self.pid());
        self.parent().ifPresent(p -> ancestors(p, spared));
        String root = chaosRoot.toAbsolutePath().normalize() + "/";
        for (long pid : pids()) {
            if (spared.contains(pid)) {
                continue;
            }
            String cmd = commandLine(pid);
            if (cmd.contains(MARKER) || cmd.contains(root)) {
                Signals.send("CONT", pid);
                if (Signals.send("KILL", pid)) {
                    removed.add("process " + pid + " (" + abbreviate(cmd) + ")");
                }
            }
        }
        if (network) {
            removed.addAll(Network.removeLeftovers());
        }
        return removed;
    }

    private static void ancestors(ProcessHandle p, Set<Long> into) {
        into.add(p.pid());
        p.parent().ifPresent(parent -> ancestors(parent, into));
    }

    static List<Long> pids() {
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> proc = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : proc) {
                String name = p.getFileName().toString();
                if (name.chars().allMatch(Character::isDigit)) {
                    pids.add(Long.parseLong(name));
                }
            }
        } catch (IOException e) {
            // no /proc: nothing to find
        }
        return pids;
    }

    /** The command line with its NUL separators as spaces, or "" when the process is gone. */
    static String commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    raw[i] = ' ';
                }
            }
            return new String(raw, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "";
        }
    }

    static List<String> arguments(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            List<String> args = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    args.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return args;
        } catch (IOException e) {
            return List.of();
        }
    }

    private static String abbreviate(String cmd) {
        return cmd.length() <= 120 ? cmd : cmd.substring(0, 117) + "...";
    }
}
