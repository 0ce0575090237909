package dev.gpufleet.demomodel;

/**
 * ggml's Q4_K super-block (256 values, 144 bytes): {@code d} and {@code dmin} as fp16, twelve bytes holding eight
 * 6-bit scales and eight 6-bit mins, then 4-bit quants; a value decodes as {@code d·scale·q − dmin·min}. The first
 * four scales and mins sit in the low six bits of bytes 0–3 and 4–7; the last four keep their low four bits in
 * bytes 8–11 (scale low nibble, min high nibble) and their top two bits in the top bits of bytes 0–7. Quants of
 * sub-blocks 2k and 2k+1 share bytes 32k..32k+31 (low and high nibble). The encoder is a plain min/max fit per
 * sub-block (llama-quantize searches for a better one; the layout is the same).
 */
final class Q4K {
    static final int VALUES = TensorType.Q4_K_BLOCK;
    static final int BYTES = TensorType.Q4_K_BLOCK_BYTES;
    private static final int SUB = 32;

    private Q4K() {
    }

    static byte[] encode(float[] x) {
        float[] scales = new float[8];
        float[] mins = new float[8];
        float maxScale = 0;
        float maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float lo = 0;
            float hi = -Float.MAX_VALUE;
            for (int i = 0; i < SUB; i++) {
                lo = Math.min(lo, x[j * SUB + i]);
                hi = Math.max(hi, x[j * SUB + i]);
            }
            scales[j] = Math.max(hi - lo, 0) / 15f;
            mins[j] = -lo;
            maxScale = Math.max(maxScale, scales[j]);
            maxMin = Math.max(maxMin, mins[j]);
        }
        float inverseScale = maxScale > 0 ? 63f / maxScale : 0f;
        float inverseMin = maxMin > 0 ? 63f / maxMin : 0f;
        byte[] out = new byte[BYTES];
        short d = GgufWriter.floatToHalf(maxScale / 63f);
        short dmin = GgufWriter.floatToHalf(maxMin / 63f);
        out[0] = (byte) d;
        out[1] = (byte) (d >>> 8);
        out[2] = (byte) dmin;
        out[3] = (byte) (dmin >>> 8);
        int[] ls = new int[8];
        int[] lm = new int[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = Math.min(63, Math.round(inverseScale * scales[j]));
            lm[j] = Math.min(63, Math.round(inverseMin * mins[j]));
        }
        byte[] s = new byte[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                s[j] = (byte) ls[j];
                s[j + 4] = (byte) lm[j];
            } else {
                s[j + 4] = (byte) ((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
                s[j - 4] |= (byte) ((ls[j] >> 4) << 6);
                s[j] |= (byte) ((lm[j] >> 4) << 6);
            }
        }
        System.arraycopy(s, 0, out, 4, 12);
        float dd = halfToFloat(d);
        float dm = halfToFloat(dmin);
        int[] q = new int[VALUES];
        for (int j = 0; j < 8; j++) {
            float step = dd * scale(s, j);
            float offset = dm * min(s, j);
            for (int i = 0; i < SUB; i++) {
                int l = step == 0 ? 0 : Math.round((x[j * SUB + i] + offset) / step);
                q[j * SUB + i] = Math.max(0, Math.min(15, l));
            }
        }
        for (int n = 0; n < 4; n++) {
            for (int l = 0; l < SUB; l++) {
                out[16 + SUB * n + l] = (byte) (q[64 * n + l] | (q[64 * n + SUB + l] << 4));
            }
        }
        return out;
    }

    /** The inverse of {@link #encode}: 256 values from one 144-byte block at {@code offset}. */
    static float[] decode(byte[] block, int offset) {
        float d = halfToFloat((short) ((block[offset] & 0xFF) | (block[offset + 1] << 8)));
        float dmin = halfToFloat((short) ((block[offset + 2] & 0xFF) | (block[offset + 3] << 8)));
        byte[] s = new byte[12];
        System.arraycopy(block, offset + 4, s, 0, 12);
        float[] y = new float[VALUES];
        for (int n = 0; n < 4; n++) {
            for (int half = 0; half < 2; half++) {
                int j = 2 * n + half;
                float step = d * scale(s, j);
                float shift = dmin * min(s, j);
                for (int l = 0; l < SUB; l++) {
                    int b = block[offset + 16 + SUB * n + l] & 0xFF;
                    int q = half == 0 ? b & 0xF : b >>> 4;
                    y[64 * n + SUB * half + l] = step * q - shift;
                }
            }
        }
        return y;
    }

    static int scale(byte[] s, int j) {
        return j < 4 ? s[j] & 63 : (s[j + 4] & 0xF) | (((s[j - 4] & 0xFF) >> 6) << 4);
    }

    static int min(byte[] s, int j) {
        return j < 4 ? s[j + 4] & 63 : ((s[j + 4] & 0xFF) >> 4) | (((s[j] & 0xFF) >> 6) << 4);
    }

    static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits >>> 15) << 31;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        if (exponent == 31) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}
