package dev.gpufleet.registry.hfconfig;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.StringReader;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureCategoriesTest {
    final ArchitectureCategories categories = ArchitectureCategories.standard();

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            // listed in the table
            "Qwen2ForCausalLM,                     llm,            true",
            "ChatGLMModel,                         llm,            true",
            "Qwen2VLForConditionalGeneration,      llm,            true",
            "BertModel,                            embedding,      true",
            "XLMRobertaModel,                      embedding,      true",
            "Qwen3Model,                           embedding,      true",
            "XLMRobertaForSequenceClassification,  reranker,       true",
            "Qwen3ForSequenceClassification,       reranker,       true",
            "JinaVLForRanking,                     reranker,       true",
            "WhisperForConditionalGeneration,      speech-to-text, true",
            "DiaForConditionalGeneration,          text-to-speech, true",
            "FluxPipeline,                         image,          true",
            // naming rules
            "SomeNewForCausalLM,                   llm,            false",
            "SomeNewLMHeadModel,                   llm,            false",
            "SomeNewForConditionalGeneration,      llm,            false",
            "SomeNewForSequenceClassification,     reranker,       false",
            "SomeNewEmbeddingModel,                embedding,      false",
            "SomeNewModel,                         embedding,      false",
    })
    void categoryOf(String architecture, String category, boolean listed) {
        assertEquals(Optional.of(category), categories.categoryOf(architecture).map(ModelCategory::wireName));
        assertEquals(listed, categories.lists(architecture));
    }

    @ParameterizedTest
    @CsvSource({"Model", "FancyThing", "''", "ForCausalLM"})
    void unknownNamesHaveNoCategory(String architecture) {
        assertEquals(Optional.empty(), categories.categoryOf(architecture));
    }

    @Test
    void theTableIsLoadedAndCategoriesAreHyphenated() {
        assertTrue(categories.size() > 100, "rows: " + categories.size());
        assertEquals("speech-to-text", ModelCategory.SPEECH_TO_TEXT.wireName());
        assertEquals("text-to-speech", ModelCategory.TEXT_TO_SPEECH.wireName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"Foo\\tspeech_to_text | Foo", "Foo | Foo", "Foo\\tllm\\nFoo\\tllm | listed twice"})
    void aBrokenTableRowIsNamed(String table, String inMessage) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ArchitectureCategories.parse(new BufferedReader(new StringReader(table.replace("\\t", "\t")
                        .replace("\\n", "\n")))));
        assertTrue(e.getMessage().contains(inMessage), e.getMessage());
    }
}
