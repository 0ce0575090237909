package dev.gpufleet.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** A command that only groups subcommands ({@code models}, {@code workers}, ...): alone it is a usage error. */
abstract class GroupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing a subcommand: one of "
                + String.join(", ", spec.subcommands().keySet()));
    }

    /** name, class, name, class, ... as a map in that order. */
    static Map<String, Class<?>> ordered(Object... namesAndClasses) {
        Map<String, Class<?>> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndClasses.length; i += 2) {
            map.put((String) namesAndClasses[i], (Class<?>) namesAndClasses[i + 1]);
        }
        return Collections.unmodifiableMap(map);
    }
}
