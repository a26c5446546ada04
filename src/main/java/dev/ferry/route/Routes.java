package dev.ferry.route;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/** A validated set of routes, by name, in the order they were declared. */
public record Routes(List<Route> all) {

    public Routes {
        all = List.copyOf(all);
    }

    public Map<String, Route> byName() {
        return all.stream()
                .collect(Collectors.toMap(Route::name, Function.identity(), (a, b) -> a, LinkedHashMap::new));
    }

    /** The consumer's route for records of {@code topic}; a consumer has at most one per topic. */
    public Optional<Route> forTopic(String topic) {
        return all.stream().filter(r -> r.topic().equals(topic)).findFirst();
    }
}
