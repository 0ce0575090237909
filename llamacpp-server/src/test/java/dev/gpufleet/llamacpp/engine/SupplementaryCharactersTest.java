package dev.gpufleet.llamacpp.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SupplementaryCharactersTest {

    @Test
    void hidesEmojiBehindUnusedPrivateUseCharactersAndRestoresThem() {
        String user = "hi \uD83D\uDE42 and \uD83D\uDE80, again \uD83D\uDE42";
        String other = "private \uE000 already used, é 中 stay";
        SupplementaryCharacters s = SupplementaryCharacters.forTexts(List.of(user, other)).orElseThrow();

        String hidden = s.hide(user);
        assertFalse(hidden.codePoints().anyMatch(Character::isSupplementaryCodePoint), hidden);
        assertFalse(hidden.contains("\uE000"), "a private-use character already in the texts is not reused");
        assertEquals(hidden.charAt(3), hidden.charAt(hidden.length() - 1), "the same emoji, the same placeholder");
        assertNotEquals(hidden.charAt(3), hidden.charAt(9));
        assertEquals(other, s.hide(other));

        String rendered = "<|im_start|>user\n" + hidden + "<|im_end|>\n" + other;
        assertEquals("<|im_start|>user\n" + user + "<|im_end|>\n" + other, s.restore(rendered));
    }

    @Test
    void textWithoutEmojiIsUntouched() {
        SupplementaryCharacters s = SupplementaryCharacters.forTexts(List.of("plain", "é")).orElseThrow();
        assertEquals("plain \uE001", s.hide("plain \uE001"));
        assertEquals("plain \uE001", s.restore("plain \uE001"));
    }

    @Test
    void givesUpWhenThePlaceholdersRunOut() {
        StringBuilder many = new StringBuilder();
        for (int cp = 0x1F000; cp < 0x1F000 + 6401; cp++) {
            many.appendCodePoint(cp);
        }
        assertTrue(SupplementaryCharacters.forTexts(List.of(many.toString())).isEmpty());
    }
}
