package dev.gpufleet.gateway.auth;

/** Charges a caller's tokens-per-minute limit once the tokens a response used are known (usage metering calls it). */
public interface TokenBudget {
    void charge(Caller caller, long tokens);
}
