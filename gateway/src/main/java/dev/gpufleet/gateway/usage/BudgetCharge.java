package dev.gpufleet.gateway.usage;

import dev.gpufleet.gateway.auth.Caller;
import dev.gpufleet.gateway.auth.TokenBudget;
import jakarta.inject.Singleton;

/** A key's tokens-per-minute limit counts the tokens its answers used, once they are known. */
@Singleton
public class BudgetCharge implements UsageListener {
    private final TokenBudget budget;

    public BudgetCharge(TokenBudget budget) {
        this.budget = budget;
    }

    @Override
    public void used(Caller caller, String model, TokenUsage usage) {
        budget.charge(caller, usage.totalTokens());
    }
}
