// SPDX-License-Identifier: GPL-2.0
//
// Hermes eBPF engine: multi-cycle divider for DIV/MOD/SDIV/SMOD.
//
// Restoring division, one quotient bit per cycle.  One bit per cycle keeps
// the critical path to a single 65-bit subtract, which is what lets the
// engine's clock stay at the ALU's speed.  Leading zero bits of the
// dividend only produce zero quotient bits, so they are skipped: a cycle
// takes the operands' magnitudes, a second one normalises the dividend,
// then one cycle per significant dividend bit (2 to 66 cycles in all;
// small operands, the common case in packet code, take a few).
//
// eBPF semantics live here rather than in the engine so the engine sees a
// finished 64-bit result:
//  - x / 0 = 0 and x % 0 = x (RFC 9669 section 4.1), for both signednesses;
//  - signed division truncates toward zero and the remainder takes the sign
//    of the dividend; INT_MIN / -1 wraps to INT_MIN and INT_MIN % -1 = 0,
//    which falls out of the magnitude arithmetic below without a special case;
//  - 32-bit results are zero-extended to 64 bits.
module hermes_div (
    input  wire        clk,
    input  wire        rst_n,
    input  wire        start,     // one-cycle pulse, operands valid
    input  wire [63:0] a,         // dividend
    input  wire [63:0] b,         // divisor
    input  wire        is32,      // ALU (32-bit) rather than ALU64
    input  wire        is_signed, // SDIV/SMOD (offset field 1)
    input  wire        is_mod,    // MOD rather than DIV
    output reg         done,      // one-cycle pulse, result valid
    output reg  [63:0] result
);
    // Operands narrowed to the operation width, sign-extended so the
    // magnitude and sign logic below is width-independent.
    wire [63:0] an = is32 ? {{32{is_signed & a[31]}}, a[31:0]} : a;
    wire [63:0] bn = is32 ? {{32{is_signed & b[31]}}, b[31:0]} : b;
    wire        a_neg = is_signed & an[63];
    wire        b_neg = is_signed & bn[63];
    wire [63:0] a_mag = a_neg ? (~an + 64'd1) : an;
    wire [63:0] b_mag = b_neg ? (~bn + 64'd1) : bn;
    wire        b_zero = is32 ? (b[31:0] == 32'd0) : (b == 64'd0);

    reg         busy, prep;
    reg  [63:0] a_reg;        // dividend magnitude, placed for the width
    reg  [6:0]  count;     // iterations left
    reg  [63:0] dq;        // dividend bits still to consume, quotient bits in
    reg  [63:0] rem;
    reg  [63:0] divisor;
    reg         q_neg, r_neg, r32, rmod;

    // One restoring step: shift the next dividend bit into the remainder and
    // subtract the divisor when it fits.
    wire [64:0] rem_sh  = {rem, dq[63]};
    wire [64:0] rem_sub = rem_sh - {1'b0, divisor};
    wire        fits    = ~rem_sub[64];

    wire [63:0] q_fin = q_neg ? (~dq + 64'd1) : dq;
    wire [63:0] r_fin = r_neg ? (~rem + 64'd1) : rem;
    wire [63:0] res_w = rmod ? r_fin : q_fin;

    // Normalisation: shift the placed dividend left until its top bit is
    // set, counting the shift, in six halving steps (a log-depth tree; a
    // priority loop would synthesise to a 64-deep chain).
    function [70:0] norm64(input [63:0] v);   // {leading zeros, v << lz}
        reg [63:0] x;
        reg [6:0]  n;
        begin
            x = v;
            n = 7'd0;
            if (x[63:32] == 32'd0) begin n = n + 7'd32; x = x << 32; end
            if (x[63:48] == 16'd0) begin n = n + 7'd16; x = x << 16; end
            if (x[63:56] == 8'd0)  begin n = n + 7'd8;  x = x << 8;  end
            if (x[63:60] == 4'd0)  begin n = n + 7'd4;  x = x << 4;  end
            if (x[63:62] == 2'd0)  begin n = n + 7'd2;  x = x << 2;  end
            if (!x[63])            begin n = n + 7'd1;  x = x << 1;  end
            norm64 = {(v == 64'd0) ? 7'd64 : n, x};
        end
    endfunction
    wire [70:0] nrm = norm64(a_reg);
    wire [6:0]  lz = nrm[70:64];
    wire [6:0]  steps = r32 ? ((lz >= 7'd32) ? 7'd0 : 7'd32 - lz) : 7'd64 - lz;

    always @(posedge clk) begin
        if (!rst_n) begin
            busy   <= 1'b0;
            prep   <= 1'b0;
            a_reg  <= 64'd0;
            done   <= 1'b0;
            result <= 64'd0;
            count  <= 7'd0;
            dq     <= 64'd0;
            rem    <= 64'd0;
            divisor <= 64'd0;
            q_neg  <= 1'b0;
            r_neg  <= 1'b0;
            r32    <= 1'b0;
            rmod   <= 1'b0;
        end else begin
            done <= 1'b0;
            if (start) begin
                if (b_zero) begin
                    // No iterations: the result is defined by the ISA.
                    done   <= 1'b1;
                    result <= is_mod ? (is32 ? {32'd0, a[31:0]} : a) : 64'd0;
                end else begin
                    prep    <= 1'b1;
                    // A 32-bit dividend starts in the top half so that its
                    // steps leave the quotient in the low half.
                    a_reg   <= is32 ? {a_mag[31:0], 32'd0} : a_mag;
                    rem     <= 64'd0;
                    divisor <= b_mag;
                    q_neg   <= a_neg ^ b_neg;
                    r_neg   <= a_neg;
                    r32     <= is32;
                    rmod    <= is_mod;
                end
            end else if (prep) begin
                // Skip the leading zeros: after `steps` shifts every
                // dividend bit has moved out and dq holds the quotient.
                prep  <= 1'b0;
                busy  <= 1'b1;
                dq    <= nrm[63:0];
                count <= steps;
            end else if (busy) begin
                if (count == 7'd0) begin
                    busy   <= 1'b0;
                    done   <= 1'b1;
                    result <= r32 ? {32'd0, res_w[31:0]} : res_w;
                end else begin
                    rem   <= fits ? rem_sub[63:0] : rem_sh[63:0];
                    dq    <= {dq[62:0], fits};
                    count <= count - 7'd1;
                end
            end
        end
    end
endmodule
