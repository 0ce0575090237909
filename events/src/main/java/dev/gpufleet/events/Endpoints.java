package dev.gpufleet.events;

/**
 * {@code host:port} as events carry an endpoint ({@link InstanceChanged#endpoint()}) and as backends, Ray and HTTP
 * Host headers take it: an IPv6 literal in brackets, so that its own colons do not read as the port's.
 */
public final class Endpoints {
    private Endpoints() {
    }

    /** {@code host:port}, the host in brackets if it is an IPv6 literal not already in them. */
    public static String hostPort(String host, int port) {
        return bracketed(host) + ":" + port;
    }

    /** The host as it goes before {@code :port}: an IPv6 literal (it has a colon) in brackets, once. */
    public static String bracketed(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }
}
