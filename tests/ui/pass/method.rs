// On a method in an inherent impl block, taking `&self`, and on an associated function.

struct Server {
    port: u16,
}

impl Server {
    #[sandbox::pledge("stdio inet")]
    fn serve(&self) -> u16 {
        self.port
    }

    #[sandbox::pledge("stdio")]
    pub fn new(port: u16) -> Self {
        Server { port }
    }
}

fn main() {
    let _ = Server::serve;
    let _ = Server::new;
}
