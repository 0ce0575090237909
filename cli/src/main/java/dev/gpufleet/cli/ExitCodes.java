package dev.gpufleet.cli;

/**
 * What the CLI's exit status means, for scripts: 0 done, 1 failed (the server refused or broke, or is not
 * reachable), 2 the command line or the request was wrong, 3 what it names does not exist, 4 the key was missing,
 * wrong or not allowed to do it.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int NOT_FOUND = 3;
    public static final int UNAUTHORIZED = 4;

    private ExitCodes() {
    }

    /** The exit status for an HTTP answer's status code. */
    public static int forHttpStatus(int status) {
        if (status >= 200 && status < 300) {
            return OK;
        }
        return switch (status) {
            // the server found the request invalid: a bad value on the command line or in a spec file
            case 400, 422 -> USAGE;
            case 401, 403 -> UNAUTHORIZED;
            case 404 -> NOT_FOUND;
            default -> FAILED;
        };
    }
}
