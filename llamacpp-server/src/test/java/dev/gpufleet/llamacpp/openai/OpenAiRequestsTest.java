package dev.gpufleet.llamacpp.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpufleet.llamacpp.engine.ChatMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenAiRequestsTest {

    private static JsonNode json(String body) throws ApiError {
        return OpenAiRequests.parseBody(body.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void chatRequestWithEverySupportedField() throws ApiError {
        OpenAiRequests.ChatCompletion c = OpenAiRequests.chatCompletion(json("{'model':'m','messages':["
                + "{'role':'system','content':'be brief'},"
                + "{'role':'user','content':[{'type':'text','text':'hel'},{'type':'text','text':'lo'}]},"
                + "{'role':'assistant','content':null}],"
                + "'max_tokens':32,'temperature':0.5,'top_p':0.9,'presence_penalty':0.1,'frequency_penalty':-0.1,"
                + "'seed':4294967295,'stop':['\\n','END'],'stream':true,'stream_options':{'include_usage':true},"
                + "'user':'ignored','n':1,'logprobs':false}"));
        assertEquals(List.of(new ChatMessage("system", "be brief"), new ChatMessage("user", "hello"),
                new ChatMessage("assistant", "")), c.messages());
        assertEquals(OptionalInt.of(32), c.sampling().maxTokens());
        assertEquals(Optional.of(0.5f), c.sampling().temperature());
        assertEquals(Optional.of(0.9f), c.sampling().topP());
        assertEquals(OptionalInt.of(-1), c.sampling().seed(), "a uint32 seed keeps its 32 bits");
        assertEquals(List.of("\n", "END"), c.sampling().stop());
        assertTrue(c.stream());
        assertTrue(c.includeUsage());
    }

    @Test
    void maxCompletionTokensWinsOverMaxTokens() throws ApiError {
        OpenAiRequests.ChatCompletion c = OpenAiRequests.chatCompletion(json(
                "{'messages':[{'role':'user','content':'x'}],'max_tokens':5,'max_completion_tokens':7}"));
        assertEquals(OptionalInt.of(7), c.sampling().maxTokens());
        assertFalse(c.stream());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{}                                                        | messages is required",
        "{'messages':[]}                                           | messages must be a non-empty array",
        "{'messages':'hi'}                                         | messages must be a non-empty array",
        "{'messages':[1]}                                          | messages[0] must be an object",
        "{'messages':[{'content':'x'}]}                            | messages[0].role is required",
        "{'messages':[{'role':'user','content':5}]}                | messages[0].content must be a string",
        "{'messages':[{'role':'user','content':[{'type':'image_url'}]}]} | messages[0].content[0] must be",
        "{'messages':[{'role':'user','content':'x'}],'max_tokens':0}     | max_tokens must be a positive integer, got 0",
        "{'messages':[{'role':'user','content':'x'}],'max_tokens':2.5}   | max_tokens must be a positive integer, got 2.5",
        "{'messages':[{'role':'user','content':'x'}],'temperature':'hot'} | temperature must be a number from 0 to 2",
        "{'messages':[{'role':'user','content':'x'}],'temperature':3}    | temperature must be a number from 0 to 2",
        "{'messages':[{'role':'user','content':'x'}],'seed':'x'}         | seed must be an integer",
        "{'messages':[{'role':'user','content':'x'}],'stop':[1]}         | stop must be a string or an array of strings",
        "{'messages':[{'role':'user','content':'x'}],'stop':['a','b','c','d','e']} | stop takes 1 to 4 non-empty strings",
        "{'messages':[{'role':'user','content':'x'}],'stream':'yes'}     | stream must be true or false",
        "{'messages':[{'role':'user','content':'x'}],'stream_options':{'include_usage':true}} | stream_options is only allowed with stream: true",
        "{'messages':[{'role':'user','content':'x'}],'n':2}              | n must be 1",
        "{'messages':[{'role':'user','content':'x'}],'logprobs':true}    | logprobs is not supported",
        "{'messages':[{'role':'user','content':'x'}],'model':7}          | model must be a string",
    })
    void badChatRequestsNameTheField(String body, String message) {
        ApiError e = assertThrows(ApiError.class, () -> OpenAiRequests.chatCompletion(json(body)));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
        assertEquals("invalid_request_error", e.toJson().path("error").path("type").asText());
        assertEquals(400, e.toJson().path("error").path("code").asInt());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''             | the request body is empty",
        "'{\"messages\":' | the request body is not valid JSON",
        "'[1,2]'        | the request body must be a JSON object",
        "'{} x'         | the request body is not valid JSON",
    })
    void unreadableBodies(String body, String message) {
        ApiError e = assertThrows(ApiError.class,
                () -> OpenAiRequests.parseBody(body.getBytes(StandardCharsets.UTF_8)));
        assertTrue(e.getMessage().startsWith(message), e.getMessage());
    }

    @Test
    void completionTakesAStringOrOneStringInAnArray() throws ApiError {
        assertEquals("the gpu", OpenAiRequests.completion(json("{'prompt':'the gpu'}")).prompt());
        assertEquals("x", OpenAiRequests.completion(json("{'prompt':['x'],'max_tokens':3}")).prompt());
        for (String bad : List.of("{}", "{'prompt':['a','b']}", "{'prompt':[1,2]}", "{'prompt':'x','echo':true}",
                "{'prompt':'x','suffix':'y'}", "{'prompt':'x','best_of':2}")) {
            ApiError e = assertThrows(ApiError.class, () -> OpenAiRequests.completion(json(bad)), bad);
            assertTrue(e.getMessage().matches("^(prompt|echo|suffix|best_of) .*"), e.getMessage());
        }
    }

    @Test
    void embeddingTakesAStringOrAnArrayOfStrings() throws ApiError {
        assertEquals(List.of("a"), OpenAiRequests.embedding(json("{'input':'a'}")).inputs());
        OpenAiRequests.Embedding e = OpenAiRequests.embedding(json("{'input':['a','b'],'encoding_format':'base64'}"));
        assertEquals(List.of("a", "b"), e.inputs());
        assertTrue(e.base64());
        for (String[] bad : new String[][] {
            {"{}", "input is required"},
            {"{'input':[]}", "input must be a string or a non-empty array"},
            {"{'input':['a',3]}", "input[1] must be a string"},
            {"{'input':''}", "input must not be empty"},
            {"{'input':['a','']}", "input[1] must not be empty"},
            {"{'input':'a','encoding_format':'int8'}", "encoding_format must be 'float' or 'base64'"},
        }) {
            ApiError error = assertThrows(ApiError.class, () -> OpenAiRequests.embedding(json(bad[0])), bad[0]);
            assertTrue(error.getMessage().startsWith(bad[1]), error.getMessage());
        }
    }
}
