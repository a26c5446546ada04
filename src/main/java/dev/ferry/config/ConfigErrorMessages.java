package dev.ferry.config;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings that cannot even be converted (an unknown enum value, a size written {@code 512KiB}) fail before logging
 * starts: Quarkus prints SmallRye's "Configuration validation failed:" text to standard error, where each conversion
 * failure reads {@code SRCFG00039: The config property ... threw an Exception whilst being converted SRCFG00049: ...}
 * without the environment variable or, for sizes, what is allowed. {@link #rewrite} turns that text into Ferry's own
 * form, one line per setting naming key, env var, value and what is allowed, like every other start-up error.
 */
public final class ConfigErrorMessages {

    static final String QUARKUS_HEADER = "Configuration validation failed:";
    static final String FERRY_HEADER = "Ferry cannot start, its configuration is invalid:";
    private static final Pattern CONVERSION = Pattern.compile(
            "(?:\\S+Exception: )?SRCFG00039: The config property (\\S+) with the config value \"(.*)\" threw an "
                    + "Exception whilst being converted (.*)",
            Pattern.DOTALL);
    private static final Pattern ENUM = Pattern.compile("SRCFG00049: Cannot convert .* allowed values: (.*)");

    private ConfigErrorMessages() {
    }

    /** Makes standard error print {@link #rewrite}'s form of Quarkus's text (called first thing in main). */
    public static void installOnStandardError() {
        PrintStream original = System.err;
        System.setErr(new PrintStream(original, true) {
            @Override
            public void println(String x) {
                super.println(rewrite(x));
            }
        });
    }

    /** Quarkus's text rewritten; any other text as it was. */
    public static String rewrite(String text) {
        if (text == null || !text.startsWith(QUARKUS_HEADER)) {
            return text;
        }
        List<String> problems = new ArrayList<>();
        for (String line : text.substring(QUARKUS_HEADER.length()).split("\n\t")) {
            String problem = line.strip();
            if (!problem.isEmpty()) {
                problems.add(explain(problem));
            }
        }
        return FERRY_HEADER + "\n  - " + String.join("\n  - ", problems);
    }

    static String explain(String problem) {
        Matcher m = CONVERSION.matcher(problem);
        if (!m.matches()) {
            return problem;
        }
        String key = m.group(1);
        String value = m.group(2);
        String why = m.group(3).strip();
        Matcher enumeration = ENUM.matcher(why);
        String allowed;
        if (enumeration.matches()) {
            allowed = "one of " + String.join(", ", Arrays.stream(enumeration.group(1).split(",")).map(String::strip)
                    .map(v -> v.toLowerCase(Locale.ROOT).replace('_', '-')).toList());
        } else if (why.contains("[0-9]+[BbKkMmGgTtPpEeZzYy]?")) {
            allowed = "a size in bytes, a number with an optional K, M, G or T (1024-based): 512K, 16M, 2G";
        } else if (why.startsWith("Invalid duration")) {
            allowed = "a duration such as 500ms, 30s, 5m, 2h or 1d";
        } else if (why.contains("SRCFG00029")) {
            allowed = "a whole number";
        } else {
            allowed = why.replaceFirst("^SRCFG\\d+: ", "");
        }
        return FerryConfigCheck.key(key) + " is " + value + "; allowed: " + allowed;
    }
}
