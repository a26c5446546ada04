package dev.ferry.kafka;

import java.util.logging.Filter;
import java.util.logging.LogRecord;

import org.jboss.logmanager.ExtLogRecord;

import io.quarkus.logging.LoggingFilter;

import dev.ferry.config.StartupFailure;

/**
 * Drops SmallRye's start-up warning SRMSG00207 ("some components are not connected") when it only lists Ferry's own
 * channels. One jar serves both roles, so each role disables the other role's channel on purpose; the warning would
 * greet every operator at every start and teach them to ignore warnings. Any other unconnected component is still
 * reported. Also the place where a start-up failure Ferry explained becomes a plain line ({@link StartupFailure}): one
 * console filter is all Quarkus allows.
 */
@LoggingFilter(name = "ferry-role-channels")
public final class RoleChannelWarningFilter implements Filter {

    @Override
    public boolean isLoggable(LogRecord record) {
        StartupFailure.clarify(record);
        String message = record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        if (message == null) {
            return true;
        }
        if (message.contains("SRMSG18235")) {
            return false;
        }
        if (!message.contains("SRMSG00207")) {
            return true;
        }
        for (String line : message.split("\n")) {
            String item = line.trim();
            if (item.startsWith("- ") && !item.contains(Channels.CHUNKS_IN) && !item.contains(Channels.CHUNKS_OUT)) {
                return true;
            }
        }
        return false;
    }
}
