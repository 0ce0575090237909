package dev.gpufleet.demomodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShapedModelTest {

    /** Parameter counts as the models' published checkpoints report them (tied embeddings counted once). */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "QWEN2_5_0_5B, 494032768, 290",
        "QWEN2_5_1_5B, 1543714304, 338",
        "QWEN2_5_3B, 3085938688, 434",
        "LLAMA_3_2_1B, 1235814400, 146",
        "GEMMA_3_1B, 999885952, 340",
        "PHI_3_MINI, 3821079552, 195"})
    void tensorsAddUpToThePublishedParameterCount(RealShape shape, long parameters, int tensorCount) {
        List<ShapedModel.PlannedTensor> tensors = ShapedModel.tensors(shape, TensorType.Q8_0);
        assertEquals(parameters, tensors.stream().mapToLong(ShapedModel.PlannedTensor::elements).sum());
        assertEquals(tensorCount, tensors.size());
        assertEquals(shape.tied, tensors.stream().noneMatch(t -> t.name().equals("output.weight")));
    }

    @Test
    void q4KFallsBackToQ8ForRowsThatAreNotAMultipleOf256() {
        // 896 wide: every matrix reading the residual stream falls back; ffn_down reads 4864 = 19 × 256
        for (ShapedModel.PlannedTensor t : ShapedModel.tensors(RealShape.QWEN2_5_0_5B, TensorType.Q4_K)) {
            TensorType expected = t.dims().length == 1 ? TensorType.F32
                    : t.name().endsWith("ffn_down.weight") ? TensorType.Q4_K : TensorType.Q8_0;
            assertEquals(expected, t.type(), t.name());
        }
        assertTrue(ShapedModel.tensors(RealShape.LLAMA_3_2_1B, TensorType.Q4_K).stream()
                .filter(t -> t.dims().length == 2).allMatch(t -> t.type() == TensorType.Q4_K));
    }

    @Test
    void paddedVocabularyHasExactlyTheModelsSizeAndNoDuplicates() {
        Vocabulary v = Vocabulary.padded(Words.TINY, RealShape.QWEN2_5_0_5B.vocabSize);
        assertEquals(151_936, v.size());
        assertEquals(v.size(), v.tokens().stream().distinct().count());
        assertEquals(Vocabulary.TYPE_UNUSED, v.tokenTypes()[v.size() - 1]);
        assertThrows(IllegalArgumentException.class, () -> Vocabulary.padded(Words.TINY, 10));
    }

    @Test
    void phi3VocabularyHoldsTheChatMarkersLlamaCppLooksUp() {
        RealShape phi = RealShape.PHI_3_MINI;
        Vocabulary v = Vocabulary.padded(Words.TINY, phi.controlTokens, phi.vocabSize);
        assertEquals(32_064, v.size());
        int end = v.tokens().indexOf("<|end|>");
        assertTrue(end > 0);
        assertEquals(Vocabulary.TYPE_CONTROL, v.tokenTypes()[end]);
    }

    @Test
    void q4KBlocksDecodeBackWithinHalfAStepOfEachSubBlock() {
        Random random = new Random(7);
        float[] x = new float[Q4K.VALUES];
        for (int i = 0; i < x.length; i++) {
            // sub-blocks of very different ranges, some all positive, some all negative
            int sub = i / 32;
            x[i] = (float) (random.nextGaussian() * (sub + 1) * 0.01 + (sub % 3 - 1) * 0.03);
        }
        byte[] block = Q4K.encode(x);
        assertEquals(144, block.length);
        float[] y = Q4K.decode(block, 0);
        for (int sub = 0; sub < 8; sub++) {
            float lo = Float.MAX_VALUE;
            float hi = -Float.MAX_VALUE;
            for (int i = 0; i < 32; i++) {
                lo = Math.min(lo, x[sub * 32 + i]);
                hi = Math.max(hi, x[sub * 32 + i]);
            }
            // one 4-bit step of the range, widened by the 6-bit quantization of scale and min
            float tolerance = (hi - Math.min(lo, 0)) / 15f * 0.5f + (hi - Math.min(lo, 0)) / 63f
                    + Math.abs(Math.min(lo, 0)) / 63f + 1e-4f;
            for (int i = 0; i < 32; i++) {
                assertEquals(x[sub * 32 + i], y[sub * 32 + i], tolerance, "value " + (sub * 32 + i));
            }
        }
    }

    @Test
    void q4KScaleBytesFollowGgmlsSixBitPacking() {
        float[] x = new float[Q4K.VALUES];
        for (int i = 0; i < x.length; i++) {
            int sub = i / 32;
            x[i] = (i % 32) * (sub + 1) / 31f; // sub-block j spans 0..j+1: scales 8/63 apart
        }
        byte[] block = Q4K.encode(x);
        byte[] scales = java.util.Arrays.copyOfRange(block, 4, 16);
        for (int j = 0; j < 8; j++) {
            assertEquals(Math.round(63f * (j + 1) / 8f), Q4K.scale(scales, j), "scale " + j);
            assertEquals(0, Q4K.min(scales, j), "min " + j);
        }
        // sub-blocks 4..7 keep their low nibble in bytes 8..11 and their top two bits in bytes 0..3
        assertEquals(Math.round(63f * 5 / 8f) & 0xF, scales[8] & 0xF);
        assertEquals(Math.round(63f * 5 / 8f) >> 4, (scales[0] & 0xFF) >> 6);
        assertFalse(Q4K.halfToFloat(GgufWriter.floatToHalf(0.5f)) != 0.5f);
    }
}
