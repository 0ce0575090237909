package dev.gpufleet.gateway.routing;

import java.util.OptionalLong;

/**
 * The affinity key of a prompt: a hash of its leading whole blocks of text (at most {@code maxBlocks} blocks of
 * {@code blockChars}). Requests that share those blocks (a system prompt, a long shared context) get the same
 * key and so the same preferred instance, whose backend can reuse its cached prefix. A prompt shorter than one
 * block has no key: there is nothing worth reusing, and it goes to the least loaded instance. Computed by
 * {@link PrefixHasher}, as the request scanner does while it reads the body.
 */
public final class PrefixKey {
    private PrefixKey() {
    }

    public static OptionalLong of(String leadingText, int blockChars, int maxBlocks) {
        if (leadingText == null) {
            return OptionalLong.empty();
        }
        PrefixHasher hasher = new PrefixHasher(blockChars, maxBlocks);
        int count = Math.min(leadingText.length(), hasher.room());
        for (int i = 0; i < count; i++) {
            hasher.add(leadingText.charAt(i));
        }
        return hasher.key();
    }
}
