package dev.gpufleet.events;

import java.time.Instant;

/**
 * A message a consumer could not use, published to {@link Topics#DEAD_LETTER} so nothing is silently lost.
 * {@code value} is the original text as received, with the values of every
 * {@code env} object redacted (they may be secrets).
 */
public record DeadLetter(String topic, int partition, long offset, String key, String value,
                         String consumer, String error, Instant failedAt) {
}
