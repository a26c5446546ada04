package dev.ferry;

import java.util.Arrays;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

import dev.ferry.config.ConfigErrorMessages;
import dev.ferry.verify.VerifyCommand;

/**
 * The entry point: starts Ferry (role picked by profile), or, with {@code verify} as first argument, runs the verify
 * tool without starting anything else.
 */
@QuarkusMain
public final class FerryMain {

    private FerryMain() {
    }

    public static void main(String... args) {
        if (args.length > 0 && args[0].equals("verify")) {
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            System.exit(VerifyCommand.run(rest, System.getenv(), System.out, System.err));
        }
        ConfigErrorMessages.installOnStandardError();
        Quarkus.run(args);
    }
}
