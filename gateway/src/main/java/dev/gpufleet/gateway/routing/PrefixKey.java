package dev.gpufleet.gateway.routing;

import java.util.OptionalLong;

/**
 * The affinity key of a prompt: a hash of its leading whole blocks of text (at most {@code maxBlocks} blocks of
 * {@code blockChars}). Requests that share those blocks (a system prompt, a long shared context) get the same
 * key and so the same preferred instance, whose backend can reuse its cached prefix. A prompt shorter than one
 * block has no key: there is nothing worth reusing, and it goes to the least loaded instance.
 */
public final class PrefixKey {
    private PrefixKey() {
    }

    public static OptionalLong of(String leadingText, int blockChars, int maxBlocks) {
        if (leadingText == null || blockChars <= 0 || maxBlocks <= 0) {
            return OptionalLong.empty();
        }
        int blocks = Math.min(leadingText.length() / blockChars, maxBlocks);
        if (blocks == 0) {
            return OptionalLong.empty();
        }
        // over the text itself: no substring, no UTF-8 copy of up to 4 KB per request
        return OptionalLong.of(InstanceChoice.mix(InstanceChoice.fnv1a(leadingText, blocks * blockChars)));
    }
}
