package dev.sprout.proxy.startup;

import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.cancel.CancelKeys;
import dev.sprout.proxy.wire.Messages;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.Optional;

/**
 * Forwards a client's CancelRequest to the compute of the session its key names, with the compute's own key, and
 * closes the client's connection once the compute has closed its side (as PostgreSQL does, so that the client knows
 * its cancel was handled). A key that names no open session is dropped without a word. Counts both outcomes.
 */
final class CancelForward {
    private CancelForward() {}

    static void forward(ChannelHandlerContext ctx, Services services, CancelKey key) {
        Optional<CancelKeys.Target> target = services.cancelKeys().find(key);
        if (target.isEmpty()) {
            services.metrics().cancel("unknown_key");
            ctx.close();
            return;
        }
        CancelKeys.Target t = target.get();
        services.metrics().cancel("forwarded");
        CancelKey real = t.computeKey();
        new Bootstrap()
                .group(ctx.channel().eventLoop())
                .channel(services.computeChannel())
                .handler(new ChannelInboundHandlerAdapter())
                .connect(t.compute())
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        ctx.close();
                        return;
                    }
                    f.channel()
                            .writeAndFlush(
                                    Messages.cancelRequest(f.channel().alloc(), real.processId(), real.secret()));
                    f.channel().closeFuture().addListener(c -> ctx.close());
                });
    }
}
