package dev.gpufleet.worker.report;

import dev.gpufleet.worker.AtomicFiles;
import dev.gpufleet.worker.StateFileException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Revisions that grow across restarts, for the events this agent produces (heartbeats; instance observations use
 * their own sequence). Consumers apply a message only when its revision is newer than the one they hold, so a
 * restarted agent must never go back to a lower number.
 *
 * <p>The data dir holds the highest revision reserved so far; the agent reserves {@link #BLOCK} revisions at a
 * time, so it writes the file once per block (about 14 hours at 5 s), not on every beat, and a restart skips the
 * rest of the block. Epoch milliseconds alone would need no file, but a clock stepped back between two runs (NTP,
 * a host without a battery-backed clock, a restored VM) would make every heartbeat look stale until the clock
 * caught up. The clock is used once, as the starting point when the file does not exist yet (first start, or the
 * file was deleted): revisions grow by one per beat while the clock grows by a thousand per second, so that start
 * is above any number an earlier run of this id reached unless the clock is off by more than the id's age.
 */
public final class RevisionSequence {
    public static final String FILE_NAME = "heartbeat-revision";
    static final long BLOCK = 10_000;

    private final Path file;
    private final String purpose;
    private long next;
    private long reservedThrough;

    private RevisionSequence(Path file, String purpose, long lastReserved) {
        this.file = file;
        this.purpose = purpose;
        this.next = lastReserved + 1;
        this.reservedThrough = lastReserved;
    }

    /** The heartbeat sequence. */
    public static RevisionSequence open(Path dataDir, Clock clock) {
        return open(dataDir, FILE_NAME, "heartbeat", clock);
    }

    /** @param purpose what the revisions are for, as error messages name it, e.g. {@code heartbeat} */
    public static RevisionSequence open(Path dataDir, String fileName, String purpose, Clock clock) {
        Path file = dataDir.resolve(fileName);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (NoSuchFileException e) {
            return new RevisionSequence(file, purpose, clock.millis());
        } catch (IOException e) {
            throw unusable(file, purpose, "cannot read it (" + e + ")");
        }
        try {
            long reserved = Long.parseLong(text);
            if (reserved < 0) {
                throw new NumberFormatException();
            }
            return new RevisionSequence(file, purpose, reserved);
        } catch (NumberFormatException e) {
            throw unusable(file, purpose, "'" + (text.length() > 40 ? text.substring(0, 40) + "…" : text)
                    + "' is not a non-negative integer");
        }
    }

    /** @throws UncheckedIOException when a new block cannot be reserved; no revision is used up then */
    public synchronized long next() {
        if (next > reservedThrough) {
            long upTo = next + BLOCK - 1;
            try {
                AtomicFiles.write(file, upTo + "\n");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot reserve " + purpose + " revisions in " + file, e);
            }
            reservedThrough = upTo;
        }
        return next++;
    }

    private static StateFileException unusable(Path file, String purpose, String why) {
        return new StateFileException("The " + purpose + " revision file " + file + " is unusable: " + why
                + ". Delete it: the agent then continues from the current time in milliseconds, which is above the"
                + " revisions it has used.");
    }
}
