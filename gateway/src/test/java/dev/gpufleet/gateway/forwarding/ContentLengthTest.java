package dev.gpufleet.gateway.forwarding;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ContentLengthTest {

    @ParameterizedTest
    @CsvSource(value = {"0|0", "42|42", "' 7 '|7", "10485760|10485760", "x|-1", "''|-1", "4.5|-1"}, delimiter = '|')
    void theDeclaredLengthOrMinusOne(String header, long expected) {
        assertEquals(expected, ContentLength.declared(header));
    }
}
