package dev.ferry;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The layers as they are meant to stay: no two packages import each other (directly or round a loop, the root package
 * included), and the wire format stays plain Java that any client could copy.
 */
@AnalyzeClasses(packages = "dev.ferry", importOptions = ImportOption.DoNotIncludeTests.class)
class PackageRulesTest {

    /** Every package its own slice ({@code dev.ferry} itself, {@code dev.ferry.stream.view}, ...). */
    @ArchTest
    static final ArchRule packagesAreFreeOfCycles = slices().matching("dev.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule theWireFormatImportsNoFramework = classes().that().resideInAPackage("dev.ferry.chunk")
            .should().onlyDependOnClassesThat()
            .resideInAnyPackage("java..", "dev.ferry.chunk", "org.apache.kafka.common.header..",
                    "com.github.luben.zstd..", "net.jpountz.lz4..")
            .because("the wire format is plain Java: the JDK, Kafka's header types and its two codecs only");
}
