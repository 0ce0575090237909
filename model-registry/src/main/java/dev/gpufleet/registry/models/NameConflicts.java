package dev.gpufleet.registry.models;

import io.vertx.pgclient.PgException;

/** Recognises the database's answer to two models with one name, however the driver and Hibernate wrap it. */
final class NameConflicts {
    static final String CONSTRAINT = "model_name_unique";
    private static final String UNIQUE_VIOLATION = "23505";

    private NameConflicts() {
    }

    static boolean isNameConflict(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())
                    && CONSTRAINT.equals(pg.getConstraint())) {
                return true;
            }
            if (t instanceof org.hibernate.exception.ConstraintViolationException cve
                    && CONSTRAINT.equals(cve.getConstraintName())) {
                return true;
            }
        }
        return false;
    }
}
