package dev.ferry.access;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.AuthenticationRequestContext;
import io.quarkus.security.identity.IdentityProvider;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.TrustedAuthenticationRequest;
import io.smallrye.mutiny.Uni;

/**
 * Rebuilds the identity of a browser session (its encrypted cookie names only the user) from the users file as it is
 * now: a user removed from the file is logged out at the next request, and changed roles apply at once.
 */
@ApplicationScoped
public class UsersSessionIdentityProvider implements IdentityProvider<TrustedAuthenticationRequest> {

    @Inject
    UsersIdentityProvider users;

    @Override
    public Class<TrustedAuthenticationRequest> getRequestType() {
        return TrustedAuthenticationRequest.class;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(TrustedAuthenticationRequest request,
            AuthenticationRequestContext context) {
        return context.runBlocking(() -> {
            UsersFile.User user = users.current().get(request.getPrincipal());
            if (user == null) {
                throw new AuthenticationFailedException("no longer in the users file");
            }
            return user.identity();
        });
    }
}
