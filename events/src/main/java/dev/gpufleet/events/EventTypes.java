package dev.gpufleet.events;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The envelope's {@code type} names and the payload record each one stands for. */
public final class EventTypes {
    private static final Map<String, Class<? extends EventPayload>> BY_NAME = Stream.of(
                    ModelChanged.class, ModelDeleted.class, WorkerReported.class,
                    InstanceObserved.class, InstanceChanged.class, InstanceDeleted.class)
            .collect(Collectors.toUnmodifiableMap(Class::getSimpleName, Function.identity()));

    private EventTypes() {
    }

    public static String nameOf(Class<? extends EventPayload> payloadClass) {
        return payloadClass.getSimpleName();
    }

    public static Optional<Class<? extends EventPayload>> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    public static java.util.Set<String> names() {
        return new java.util.TreeSet<>(BY_NAME.keySet());
    }
}
