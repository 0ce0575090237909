package dev.gpufleet.gateway.forwarding;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-loop deadline list: what expires when, with deadlines set, moved and cancelled in any order. */
class DeadlineQueueTest {
    private final DeadlineQueue queue = new DeadlineQueue();
    private final List<String> expired = new ArrayList<>();
    private final Map<String, Named> entries = new LinkedHashMap<>();

    private final class Named extends DeadlineQueue.Entry {
        private final String name;
        private Consumer<Named> onExpiry = ignored -> { };

        Named(String name) {
            this.name = name;
        }

        @Override
        void expired() {
            expired.add(name);
            onExpiry.accept(this);
        }
    }

    private Named entry(String name) {
        return entries.computeIfAbsent(name, Named::new);
    }

    /**
     * A script of steps: {@code +a@5} schedules (or moves) a at 5, {@code -a} cancels a, {@code !7} expires at 7 and
     * the names expired there (sorted) are checked against the next {@code =a,b} step ({@code =} for none).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "+a@5 !4 = !5 =a !9 =",
            "+a@5 +b@3 +c@8 !6 =a,b !8 =c",
            "+a@5 +a@9 !6 = !9 =a",
            "+a@5 -a !9 =",
            "+a@5 +b@5 -b !5 =a",
            "+a@1 +b@2 +c@3 -b !3 =a,c",
            "+a@1 +b@2 +c@3 -a -c !3 =b",
            "-a +a@2 -a -a !5 =",
            "+a@-3 +b@-1 !-2 =a !0 =b",
            "+a@10 !10 =a +a@20 !15 = !20 =a",
    })
    void expiresWhatIsDueAndNothingElse(String script) {
        List<String> lastExpired = List.of();
        for (String step : script.split(" ")) {
            switch (step.charAt(0)) {
                case '+' -> {
                    String[] parts = step.substring(1).split("@");
                    queue.schedule(entry(parts[0]), Long.parseLong(parts[1]));
                }
                case '-' -> queue.cancel(entry(step.substring(1)));
                case '!' -> {
                    expired.clear();
                    int count = queue.expire(Long.parseLong(step.substring(1)));
                    lastExpired = List.copyOf(new TreeSet<>(expired));
                    assertEquals(expired.size(), count, step);
                }
                case '=' -> assertEquals(step.length() == 1 ? List.of() : List.of(step.substring(1).split(",")),
                        lastExpired, script + " at " + step);
                default -> throw new IllegalArgumentException(step);
            }
        }
    }

    @Test
    void anEntryMayRescheduleItselfWhenItExpires() {
        Named a = entry("a");
        a.onExpiry = self -> queue.schedule(self, 100);
        queue.schedule(a, 10);
        assertEquals(1, queue.expire(10));
        assertTrue(a.queued());
        assertEquals(0, queue.expire(99));
        assertEquals(1, queue.expire(100));
        assertEquals(List.of("a", "a"), expired);
    }

    @Test
    void anEntryScheduledAgainByAnotherOnesExpiryIsNotExpiredInTheSamePass() {
        Named a = entry("a");
        Named b = entry("b");
        queue.schedule(a, 5);
        queue.schedule(b, 5);
        a.onExpiry = ignored -> queue.schedule(b, 50);
        b.onExpiry = ignored -> queue.schedule(a, 50);
        queue.expire(5);
        // whichever ran first moved the other one on: exactly one expired, the other waits for 50
        assertEquals(1, expired.size());
        assertEquals(1, queue.size());
        assertEquals(1, queue.expire(50));
    }

    @Test
    void deadlinesCompareAcrossTheNanoTimeWrap() {
        Named a = entry("a");
        queue.schedule(a, Long.MAX_VALUE - 5);
        assertEquals(0, queue.expire(Long.MAX_VALUE - 10));
        assertEquals(1, queue.expire(Long.MIN_VALUE + 3)); // 9 ns later, past the wrap
    }

    /** Random schedules, moves and cancels against a plain map of deadlines. */
    @Test
    void agreesWithAMapOfDeadlines() {
        Random random = new Random(7);
        Map<String, Long> model = new LinkedHashMap<>();
        for (int step = 0; step < 20_000; step++) {
            String name = "e" + random.nextInt(40);
            long now = step;
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    long at = now + random.nextInt(50);
                    queue.schedule(entry(name), at);
                    model.put(name, at);
                }
                case 2 -> {
                    queue.cancel(entry(name));
                    model.remove(name);
                }
                default -> {
                    expired.clear();
                    queue.expire(now);
                    TreeSet<String> due = new TreeSet<>();
                    model.entrySet().removeIf(e -> {
                        if (e.getValue() <= now) {
                            due.add(e.getKey());
                            return true;
                        }
                        return false;
                    });
                    assertEquals(due, new TreeSet<>(expired), "step " + step);
                }
            }
            assertEquals(model.size(), queue.size(), "step " + step);
            assertEquals(model.isEmpty(), queue.isEmpty());
            for (Named entry : entries.values()) {
                assertEquals(model.containsKey(entry.name), entry.queued(), entry.name);
            }
        }
        assertFalse(entries.isEmpty());
    }
}
