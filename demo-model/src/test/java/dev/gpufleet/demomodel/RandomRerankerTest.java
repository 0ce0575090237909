package dev.gpufleet.demomodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reranker's header: what llama.cpp b4916 needs to rank with it (a BERT with rank pooling, a classification
 * head, BOS/EOS/SEP tokens, no byte tokens, which its WordPiece tokenizer cannot read). That llama.cpp really ranks
 * with it is llamacpp-server's RerankIT.
 */
class RandomRerankerTest {
    @TempDir
    Path dir;

    @Test
    void aBertCrossEncoderWithAClassificationHeadAndRankPooling() throws Exception {
        Path file = dir.resolve("reranker.gguf");
        long size = DemoModel.write(Preset.TINY_RERANKER, 5, file);
        GgufTestReader.Header h = GgufTestReader.read(file);

        assertEquals(size, h.fileSize());
        assertEquals("bert", h.metadata().get("general.architecture"));
        assertEquals((long) RandomReranker.POOLING_RANK, h.metadata().get("bert.pooling_type"));
        assertEquals(false, h.metadata().get("bert.attention.causal"));
        assertEquals("bert", h.metadata().get("tokenizer.ggml.model"));
        assertEquals((long) Vocabulary.BOS_ID, h.metadata().get("tokenizer.ggml.bos_token_id"));
        assertEquals((long) Vocabulary.EOS_ID, h.metadata().get("tokenizer.ggml.seperator_token_id"));
        @SuppressWarnings("unchecked")
        List<String> tokens = (List<String>) h.metadata().get("tokenizer.ggml.tokens");
        assertTrue(tokens.stream().noneMatch(t -> t.startsWith("<0x")), "no byte tokens");
        assertTrue(tokens.contains(Vocabulary.WORD_BOUNDARY + "hello"), tokens.toString());
        List<String> names = h.tensors().stream().map(GgufTestReader.TensorInfo::name).toList();
        assertTrue(names.containsAll(List.of("token_types.weight", "position_embd.weight", "cls.weight",
                "cls.output.weight", "cls.output.bias", "blk.1.layer_output_norm.bias")), names.toString());
        assertEquals(4 + 1 + 16 * Preset.TINY_RERANKER.blockCount + 4, names.size());

        Path again = dir.resolve("again.gguf");
        DemoModel.write(Preset.TINY_RERANKER, 5, again);
        Path other = dir.resolve("other.gguf");
        DemoModel.write(Preset.TINY_RERANKER, 6, other);
        assertEquals(RandomLlamaModelTest.sha256(file), RandomLlamaModelTest.sha256(again));
        assertNotEquals(RandomLlamaModelTest.sha256(file), RandomLlamaModelTest.sha256(other));
    }
}
