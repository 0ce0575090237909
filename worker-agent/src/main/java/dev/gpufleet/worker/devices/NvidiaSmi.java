package dev.gpufleet.worker.devices;

import dev.gpufleet.events.GpuDevice;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses nvidia-smi. One query per beat for GPUs without MIG; a GPU in MIG mode is replaced by its MIG devices
 * (each its own memory), which only {@code nvidia-smi -q -x} (memory per MIG device) and {@code nvidia-smi -L}
 * (profile name and MIG UUID, the value {@code CUDA_VISIBLE_DEVICES} takes) tell. This follows what GPUStack reads
 * for MIG: the XML's {@code <mig_devices>/<fb_memory_usage>} and the names from {@code -L}.
 */
public final class NvidiaSmi {
    public static final String TOOL = "nvidia-smi";
    /** The columns {@link #parseQuery} expects, in this order; mig.mode.current says which GPUs need the XML. */
    public static final List<String> QUERY = List.of(TOOL,
            "--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,mig.mode.current",
            "--format=csv,noheader,nounits");
    public static final List<String> XML = List.of(TOOL, "-q", "-x");
    public static final List<String> LIST = List.of(TOOL, "-L");
    private static final long MIB = 1L << 20;
    private static final String[] COLUMNS =
            {"index", "uuid", "name", "memory.total", "memory.used", "utilization.gpu", "mig.mode.current"};

    private NvidiaSmi() {
    }

    /** One line of the query: a physical GPU. */
    public record Gpu(int index, String uuid, String name, long memoryTotalBytes, long memoryUsedBytes,
                      double utilizationPercent, boolean migEnabled) {
    }

    /** A MIG device as {@code -q -x} and {@code -L} describe it together. */
    public record MigDevice(String gpuUuid, int migIndex, String profile, String uuid, long memoryTotalBytes,
                            long memoryUsedBytes) {
    }

    public static List<Gpu> parseQuery(String output) throws UnreadableOutput {
        List<Gpu> gpus = new ArrayList<>();
        Set<Integer> indexes = new HashSet<>();
        String[] lines = output.strip().split("\\R");
        if (output.isBlank()) {
            throw new UnreadableOutput(TOOL + " printed no GPUs (empty output)");
        }
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = TOOL + " line " + (n + 1) + " ('" + line + "')";
            String[] cells = line.split(",", -1);
            if (cells.length != COLUMNS.length) {
                throw new UnreadableOutput(where + ": expected " + COLUMNS.length + " columns ("
                        + String.join(", ", COLUMNS) + "), found " + cells.length);
            }
            for (int i = 0; i < cells.length; i++) {
                cells[i] = cells[i].strip();
            }
            int index = (int) whole(cells[0], "index", where);
            if (!indexes.add(index)) {
                throw new UnreadableOutput(where + ": index " + index + " appears twice");
            }
            boolean mig = cells[6].equalsIgnoreCase("Enabled");
            long total = mig && notAvailable(cells[3]) ? 0 : whole(cells[3], "memory.total", where) * MIB;
            long used = mig && notAvailable(cells[4]) ? 0 : whole(cells[4], "memory.used", where) * MIB;
            if (!mig && total <= 0) {
                throw new UnreadableOutput(where + ": memory.total must be more than 0 MiB");
            }
            if (used > total && !mig) {
                throw new UnreadableOutput(where + ": memory.used (" + cells[4] + " MiB) is more than memory.total ("
                        + cells[3] + " MiB)");
            }
            // MIG GPUs and some boards answer [N/A] for utilisation; that is "unknown", reported as 0
            double utilization = notAvailable(cells[5]) ? 0.0 : percent(cells[5], "utilization.gpu", where);
            if (cells[1].isEmpty() || cells[2].isEmpty()) {
                throw new UnreadableOutput(where + ": " + (cells[1].isEmpty() ? "uuid" : "name") + " is empty");
            }
            gpus.add(new Gpu(index, cells[1], cells[2], total, used, utilization, mig));
        }
        gpus.sort((a, b) -> Integer.compare(a.index(), b.index()));
        return gpus;
    }

    private static final Pattern GPU_LINE = Pattern.compile("GPU\\s+(\\d+):\\s*(.*?)\\s*\\(UUID:\\s*([^)\\s]+)\\)");
    private static final Pattern MIG_LINE =
            Pattern.compile("MIG\\s+(\\S+)\\s+Device\\s+(\\d+):\\s*\\(UUID:\\s*([^)\\s]+)\\)");

    /** {@code nvidia-smi -L}: GPU UUID → MIG device index → {profile, MIG UUID}. */
    public static Map<String, Map<Integer, String[]>> parseList(String output) throws UnreadableOutput {
        Map<String, Map<Integer, String[]>> byGpu = new HashMap<>();
        String currentGpu = null;
        String[] lines = output.split("\\R");
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty()) {
                continue;
            }
            Matcher gpu = GPU_LINE.matcher(line);
            Matcher mig = MIG_LINE.matcher(line);
            if (gpu.matches()) {
                currentGpu = gpu.group(3);
                byGpu.put(currentGpu, new HashMap<>());
            } else if (mig.matches() && currentGpu != null) {
                byGpu.get(currentGpu).put(Integer.parseInt(mig.group(2)),
                        new String[] {mig.group(1), mig.group(3)});
            } else {
                throw new UnreadableOutput(TOOL + " -L line " + (n + 1) + " ('" + line
                        + "') is neither 'GPU N: name (UUID: …)' nor 'MIG profile Device N: (UUID: …)'");
            }
        }
        return byGpu;
    }

    /** {@code nvidia-smi -q -x}: the MIG devices of every GPU, named and identified by {@code -L}'s output. */
    public static List<MigDevice> parseMigDevices(String xml, String listOutput) throws UnreadableOutput {
        Map<String, Map<Integer, String[]>> names = parseList(listOutput);
        Document document = parseXml(xml);
        List<MigDevice> devices = new ArrayList<>();
        NodeList gpus = document.getDocumentElement().getElementsByTagName("gpu");
        for (int g = 0; g < gpus.getLength(); g++) {
            Element gpu = (Element) gpus.item(g);
            String gpuUuid = text(gpu, "uuid");
            Element migDevices = child(gpu, "mig_devices");
            if (migDevices == null) {
                continue;
            }
            for (Element mig : children(migDevices, "mig_device")) {
                String where = TOOL + " -q -x, GPU " + gpuUuid + ", <mig_device>";
                int migIndex = (int) whole(text(mig, "index"), "index", where);
                where = TOOL + " -q -x, GPU " + gpuUuid + ", MIG device " + migIndex;
                Element memory = child(mig, "fb_memory_usage");
                if (memory == null) {
                    throw new UnreadableOutput(where + " has no <fb_memory_usage>");
                }
                long total = mebibytes(text(memory, "total"), "fb_memory_usage/total", where);
                long used = mebibytes(text(memory, "used"), "fb_memory_usage/used", where);
                String[] named = names.getOrDefault(gpuUuid, Map.of()).get(migIndex);
                if (named == null) {
                    throw new UnreadableOutput(where + " is not listed by " + TOOL + " -L, so it has no MIG UUID");
                }
                if (total <= 0) {
                    throw new UnreadableOutput(where + ": fb_memory_usage/total must be more than 0 MiB");
                }
                devices.add(new MigDevice(gpuUuid, migIndex, named[0], named[1], total, used));
            }
        }
        return devices;
    }

    /**
     * The devices to report: GPUs without MIG as they are, each MIG GPU replaced by its MIG devices (none while no
     * instances are created on it: CUDA cannot use the bare GPU then). Indexes are positions in this list.
     */
    public static List<GpuDevice> devices(List<Gpu> gpus, List<MigDevice> migDevices) throws UnreadableOutput {
        List<GpuDevice> devices = new ArrayList<>();
        for (Gpu gpu : gpus) {
            if (!gpu.migEnabled()) {
                devices.add(new GpuDevice(devices.size(), "nvidia", "cuda", gpu.name(), gpu.uuid(),
                        gpu.memoryTotalBytes(), gpu.memoryUsedBytes(), gpu.utilizationPercent()));
                continue;
            }
            List<MigDevice> own = migDevices.stream().filter(m -> m.gpuUuid().equals(gpu.uuid()))
                    .sorted((a, b) -> Integer.compare(a.migIndex(), b.migIndex())).toList();
            for (MigDevice mig : own) {
                devices.add(new GpuDevice(devices.size(), "nvidia", "cuda", gpu.name() + " MIG " + mig.profile(),
                        mig.uuid(), mig.memoryTotalBytes(), mig.memoryUsedBytes(), 0.0));
            }
        }
        return devices;
    }

    static boolean notAvailable(String cell) {
        String value = cell.toLowerCase(Locale.ROOT);
        return value.equals("[n/a]") || value.equals("n/a") || value.equals("[not supported]");
    }

    private static long whole(String cell, String column, String where) throws UnreadableOutput {
        try {
            long value = Long.parseLong(cell.strip());
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new UnreadableOutput(where + ": " + column + " '" + cell + "' is not a whole number"
                    + (column.startsWith("memory") ? " of MiB" : ""));
        }
    }

    private static double percent(String cell, String column, String where) throws UnreadableOutput {
        long value = whole(cell, column, where);
        if (value > 100) {
            throw new UnreadableOutput(where + ": " + column + " " + value + " is more than 100 %");
        }
        return value;
    }

    private static long mebibytes(String text, String field, String where) throws UnreadableOutput {
        String value = text.strip();
        if (!value.endsWith("MiB")) {
            throw new UnreadableOutput(where + ": " + field + " '" + value + "' is not 'N MiB'");
        }
        return whole(value.substring(0, value.length() - 3).strip(), field, where) * MIB;
    }

    private static Document parseXml(String xml) throws UnreadableOutput {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            // the output names nvsmi_device_vNN.dtd, which is not on this host: never fetch or read it
            factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
            factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            factory.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            factory.setExpandEntityReferences(false);
            DocumentBuilder builder = factory.newDocumentBuilder();
            builder.setErrorHandler(null);
            Document document = builder.parse(new InputSource(new StringReader(xml)));
            if (!"nvidia_smi_log".equals(document.getDocumentElement().getTagName())) {
                throw new UnreadableOutput(TOOL + " -q -x: the root element is <"
                        + document.getDocumentElement().getTagName() + ">, not <nvidia_smi_log>");
            }
            return document;
        } catch (SAXException e) {
            throw new UnreadableOutput(TOOL + " -q -x printed no readable XML: " + e.getMessage());
        } catch (ParserConfigurationException | IOException e) {
            throw new UnreadableOutput(TOOL + " -q -x could not be read: " + e);
        }
    }

    private static Element child(Element parent, String tag) {
        List<Element> found = children(parent, tag);
        return found.isEmpty() ? null : found.get(0);
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> found = new ArrayList<>();
        for (Node node = parent.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element && ((Element) node).getTagName().equals(tag)) {
                found.add((Element) node);
            }
        }
        return found;
    }

    private static String text(Element parent, String tag) {
        Element element = child(parent, tag);
        return element == null ? "" : element.getTextContent().strip();
    }
}
