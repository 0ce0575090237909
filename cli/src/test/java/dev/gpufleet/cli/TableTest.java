package dev.gpufleet.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TableTest {

    @Test
    void columnsArePaddedToTheWidestCellThreeSpacesApartAndTheLastIsNotPadded() {
        String table = new Table("NAME", "STATE", "MESSAGE")
                .row("demo", "RUNNING", "ok")
                .row("a-much-longer-name", "PENDING", "fits nowhere")
                .render();
        assertEquals("""
                NAME                 STATE     MESSAGE
                demo                 RUNNING   ok
                a-much-longer-name   PENDING   fits nowhere
                """, table);
    }

    @Test
    void absentAndEmptyCellsShowAsADashAndLineBreaksAsSpaces() {
        String table = new Table("A", "B", "C").row(null, "", "two\nlines").render();
        assertEquals("""
                A   B   C
                -   -   two lines
                """, table);
    }

    @Test
    void rightAlignedColumnsPadOnTheLeft() {
        String table = new Table("MODEL", "TOKENS", "DAY").right("TOKENS")
                .row("demo", "1,234", "2026-01-01")
                .row("tiny", "7", "2026-01-02")
                .render();
        assertEquals("""
                MODEL   TOKENS   DAY
                demo     1,234   2026-01-01
                tiny         7   2026-01-02
                """, table);
    }

    @Test
    void aRightAlignedLastColumnLeavesNoTrailingSpaceOnTheHeader() {
        String table = new Table("NAME", "N").right("N").row("x", "12345").render();
        assertEquals("""
                NAME       N
                x      12345
                """, table);
    }

    @Test
    void anEmptyTableIsItsHeader() {
        assertEquals("NAME   STATE\n", new Table("NAME", "STATE").render());
    }

    @Test
    void aRowOfTheWrongWidthOrAnUnknownColumnIsAProgrammingError() {
        assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").row("only one"));
        assertThrows(IllegalArgumentException.class, () -> new Table("A", "B").right("C"));
    }

    @Test
    void detailsAlignTheirValuesAndLeaveOutAbsentOnes() {
        String details = new Details().add("Name", "demo").add("Message", null).add("Placed because", "a\nb")
                .render();
        assertEquals("""
                Name:           demo
                Placed because: a
                                b
                """, details);
    }
}
