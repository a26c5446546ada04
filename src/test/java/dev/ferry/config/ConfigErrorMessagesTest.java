package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SmallRye's conversion failures, as Quarkus prints them, in Ferry's words. */
class ConfigErrorMessagesTest {

    @Test
    void conversionFailuresNameKeyEnvVarValueAndWhatIsAllowed() {
        String quarkus = "Configuration validation failed:\n\t" + IllegalArgumentException.class.getName()
                + ": SRCFG00039: The config property ferry.source-policy with the config value \"shred\" threw an Exception whilst being "
                + "converted SRCFG00049: Cannot convert shred to enum class " + FerryConfig.SourcePolicy.class.getName()
                + ", allowed values: move,keep,delete\n\tferry.files-in-flight (FERRY_FILES_IN_FLIGHT) is 100; allowed: "
                + "1 to 64";
        assertThat(ConfigErrorMessages.rewrite(quarkus)).isEqualTo("""
                Ferry cannot start, its configuration is invalid:
                  - ferry.source-policy (FERRY_SOURCE_POLICY) is shred; allowed: one of move, keep, delete
                  - ferry.files-in-flight (FERRY_FILES_IN_FLIGHT) is 100; allowed: 1 to 64""");
    }

    @Test
    void otherTextIsLeftAlone() {
        assertThat(ConfigErrorMessages.rewrite("something else")).isEqualTo("something else");
        assertThat(ConfigErrorMessages.rewrite(null)).isNull();
    }
}
