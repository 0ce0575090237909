package dev.gpufleet.llamacpp.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TokenAccountingTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // case                                      | pieces | retokenized | endedEmpty | budget | tokens | reason
        "one piece per token, budget used           | 16     | 16          | false      | 16     | 16     | LENGTH",
        "held-back bytes: fewer pieces than tokens  | 12     | 20          | false      | 16     | 16     | LENGTH",
        "end of sequence arrives as an empty piece  | 5      | 4           | true       | 16     | 5      | STOP",
        "re-tokenising over-counts after EOS        | 9      | 30          | true       | 16     | 16     | STOP",
        "stopped short without an empty piece       | 7      | 7           | false      | 16     | 7      | STOP",
        "re-tokenising under-counts                 | 10     | 8           | false      | 16     | 10     | STOP",
        "nothing generated before EOS               | 1      | 0           | true       | 16     | 1      | STOP",
        "EOS exactly at the budget is still the end | 16     | 15          | true       | 16     | 16     | LENGTH",
    })
    void countsTokensAndFinishReason(String description, int pieces, int retokenized, boolean endedEmpty, int budget,
            int tokens, Generation.FinishReason reason) {
        assertEquals(new TokenAccounting.Count(tokens, reason),
                TokenAccounting.count(pieces, retokenized, endedEmpty, budget));
    }
}
