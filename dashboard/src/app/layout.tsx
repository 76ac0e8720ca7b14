import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import { AuthProvider } from "@/lib/auth";
import { FeedbackProvider } from "@/components/feedback";
import { QueryProvider } from "@/lib/query";

export const metadata: Metadata = {
  title: { default: "Frontdesk", template: "%s · Frontdesk" },
  description: "Frontdesk — your AI front desk dashboard",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen font-sans antialiased">
        <AuthProvider>
          <FeedbackProvider>
            <QueryProvider>{children}</QueryProvider>
          </FeedbackProvider>
        </AuthProvider>
      </body>
    </html>
  );
}
