package dev.gpufleet.kit.http;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The one paging rule of every list endpoint: page 1 to 1,000,000, per_page 1 to 500, 100 when absent. */
class PageRequestTest {

    @ParameterizedTest(name = "page={0} per_page={1}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            "null    | null | 1       | 100",
            "''      | '  ' | 1       | 100",
            "2       | 5    | 2       | 5",
            "' 3 '   | 500  | 3       | 500",
            "1000000 | 1    | 1000000 | 1",
    })
    void takesWhatIsInRange(String page, String perPage, int expectedPage, int expectedPerPage) {
        assertEquals(new PageRequest(expectedPage, expectedPerPage), PageRequest.parse(page, perPage));
    }

    @ParameterizedTest(name = "page={0} per_page={1}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            "0       | null | query parameter 'page' must be an integer from 1 to 1000000, was '0'",
            "1000001 | null | query parameter 'page' must be an integer from 1 to 1000000, was '1000001'",
            "abc     | null | query parameter 'page' must be an integer from 1 to 1000000, was 'abc'",
            "null    | 0    | query parameter 'per_page' must be an integer from 1 to 500, was '0'",
            "null    | 501  | query parameter 'per_page' must be an integer from 1 to 500, was '501'",
            "null    | 2.5  | query parameter 'per_page' must be an integer from 1 to 500, was '2.5'",
    })
    void refusesTheRestNamingTheParameter(String page, String perPage, String message) {
        ApiException e = assertThrows(ApiException.class, () -> PageRequest.parse(page, perPage));
        assertEquals(400, e.status().getStatusCode());
        assertEquals(message, e.getMessage());
    }

    @Test
    void theLastPageMayBeShortAndOneAfterItEmpty() {
        List<Integer> all = List.of(1, 2, 3, 4, 5);
        PageView<Integer> last = PageView.slice(all, PageRequest.parse("3", "2"));
        assertEquals(List.of(5), last.items());
        assertEquals(new PageView.Pagination(3, 2, 5, 3), last.pagination());
        assertEquals(List.of(), PageView.slice(all, PageRequest.parse("4", "2")).items());
        assertEquals(499_999_500L, PageRequest.parse("1000000", "500").offset(), "the last page's offset");
    }
}
