package dev.ferry.route;

import java.util.List;

/** A routes file that cannot be used, with every problem found in it. */
public class InvalidRoutesException extends Exception {

    private final List<String> problems;

    public InvalidRoutesException(String source, List<String> problems) {
        super(source + " is invalid:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
