package dev.gpufleet.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ApiErrorsTest {

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
            "404 | {\"code\": 404, \"reason\": \"Not Found\", \"message\": \"No model with id 'x'\"} | No model with id 'x' (HTTP 404)",
            "401 | {\"error\": {\"message\": \"Invalid API key.\", \"type\": \"invalid_request_error\", \"code\": \"invalid_api_key\"}} | Invalid API key. (HTTP 401)",
            "502 | <html>bad gateway</html> | <html>bad gateway</html> (HTTP 502)",
            "503 | '' | no details in the answer (HTTP 503)",
            "500 | {\"error\": \"boom\"} | boom (HTTP 500)",
            "400 | {\"code\": 400} | {\"code\": 400} (HTTP 400)"})
    void theServersOwnMessageIsWhatIsPrinted(int status, String body, String printed) {
        assertEquals(printed, ApiErrors.message(status, body));
    }
}
