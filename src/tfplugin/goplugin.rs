//! go-plugin's gRPC services beside the Provider service: health, controller and stdio.
//!
//! go-plugin's client checks the health service for `plugin` before it uses a plugin, ends the
//! plugin with `plugin.GRPCController/Shutdown`, and opens `plugin.GRPCStdio/StreamStdio` to
//! copy the plugin's output (hashicorp/go-plugin, `grpc_client.go`, `grpc_controller.go`,
//! `grpc_stdio.go`). We serve all three on the same server as the provider.

use tokio_util::sync::CancellationToken;
use tonic::transport::server::Router;
use tonic::transport::Server;

use super::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use super::proto::plugin::grpc_stdio_server::{GrpcStdio, GrpcStdioServer};
use super::proto::plugin::{Empty, StdioData};

/// A gRPC server carrying the go-plugin services: health reporting `plugin` as SERVING, a
/// controller whose `Shutdown` cancels `stop`, and a stdio stream that stays empty and ends
/// when `stop` is cancelled. The caller adds the Provider service.
pub(super) async fn router(stop: &CancellationToken) -> Router {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(Controller { stop: stop.clone() }))
        .add_service(GrpcStdioServer::new(Stdio { stop: stop.clone() }))
}

/// `plugin.GRPCController`: Terraform's request to end the process.
struct Controller {
    stop: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: tonic::Request<Empty>) -> Result<tonic::Response<Empty>, tonic::Status> {
        tracing::debug!("Terraform requested shutdown");
        // The response still goes out: tonic finishes in-flight calls while draining.
        self.stop.cancel();
        Ok(tonic::Response::new(Empty {}))
    }
}

/// `plugin.GRPCStdio`: we never redirect stdout/stderr into gRPC, so the stream stays empty.
/// It ends at shutdown so that it does not hold the connection open.
struct Stdio {
    stop: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: tonic::Request<()>,
    ) -> Result<tonic::Response<tonic::codegen::BoxStream<StdioData>>, tonic::Status> {
        let stream = futures::stream::unfold(self.stop.clone(), |stop| async move {
            stop.cancelled().await;
            None::<(Result<StdioData, tonic::Status>, CancellationToken)>
        });
        Ok(tonic::Response::new(Box::pin(stream)))
    }
}
