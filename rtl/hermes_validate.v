// SPDX-License-Identifier: GPL-2.0
//
// Hermes static program validation (device.rst "Static validation"), in
// hardware, with the rules, error kinds and error order of
// hermes_ebpf_validate() for the RTL's capability set (ISA v4, atomics,
// division, bpf-to-bpf calls, no helper calls, lddw with src 0 only).
//
// Pass A watches the program words as the loader writes them into the
// program RAM: lddw pairing (the C validator's first pass) and a one-bit
// "opcode is lddw" map.  Pass B reads the program RAM back, one word per
// cycle, and checks every other instruction in order, jump targets
// included: a target's "second half of an lddw" test is a lookup of the
// map at target - 1.  An error of pass A wins over any of pass B, and the
// first error of each pass in program order is the one reported, as in C.
module hermes_validate #(
    parameter AW = 9                 // program RAM address bits
) (
    input  wire          clk,
    input  wire          rst_n,
    input  wire          start,      // before the first word of pass A
    input  wire [31:0]   n,          // instructions, 1 to 2^AW
    input  wire          in_valid,   // pass A: word i, in order
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [63:0]   in_word,    // the immediate is never checked here
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire          in_last,    // with the last word
    output wire [AW-1:0] rd_addr,    // pass B: program RAM, 1-cycle read
    input  wire [63:0]   rd_data,
    output wire          reading,    // pass B owns the RAM read port
    output reg           done,       // pulse
    output reg  [7:0]    kind,       // 0 valid, else HermesEbpfStatus
    output reg  [31:0]   bad_pc
);
    localparam [7:0] OK = 8'd0, INSN = 8'd1, BAD_JUMP = 8'd2, BAD_LDDW = 8'd3,
                     BAD_REG = 8'd4, NO_EXIT = 8'd5;
    localparam [1:0] V_IDLE = 2'd0, V_A = 2'd1, V_B = 2'd2;

    reg  [1:0]    vstate;
    reg           lddw_at [0:(1 << AW) - 1];   // opcode of word i is lddw
    reg  [31:0]   ia;                          // pass A index
    reg           pair;                        // next word is a second slot
    reg  [7:0]    a_kind;
    reg  [31:0]   a_pc;
    reg  [7:0]    last_w;                      // opcode of the last word
    reg  [31:0]   ib;                          // pass B: word on rd_data
    reg           b_on;                        // rd_data holds word ib

    // ------------------------------------------------------------------
    // Pass A: lddw checks on the incoming stream.
    wire [7:0]  a_op  = in_word[7:0];
    wire [3:0]  a_dst = in_word[11:8];
    wire [3:0]  a_src = in_word[15:12];
    wire [15:0] a_off = in_word[31:16];

    always @(posedge clk) begin
        if (in_valid && vstate == V_A)
            lddw_at[ia[AW-1:0]] <= (a_op == 8'h18);
    end

    // ------------------------------------------------------------------
    // Pass B: one instruction per cycle.
    wire [63:0] w    = rd_data;
    wire [7:0]  op   = w[7:0];
    wire [3:0]  dst  = w[11:8];
    wire [3:0]  src  = w[15:12];
    wire [15:0] off  = w[31:16];
    wire [31:0] imm  = w[63:32];
    wire [2:0]  cls  = op[2:0];
    wire [3:0]  code = op[7:4];
    wire        x    = op[3];
    wire        is64 = (cls == 3'd7);
    wire        is32j = (cls == 3'd6);
    wire [2:0]  mode = op[7:5];
    wire [1:0]  size = op[4:3];

    // Skipped words: lddw and its second slot (checked in pass A).
    wire        prev_lddw = (ib != 32'd0) && lddw_at[ib[AW-1:0] - 1'b1];
    wire        skip = (op == 8'h18) || prev_lddw;

    // Jump target from a 16-bit (off) or 32-bit (imm) displacement.
    wire        use_imm = (is32j && code == 4'h0) || (op == 8'h85);
    wire [33:0] disp = use_imm ? {{2{imm[31]}}, imm} : {{18{off[15]}}, off};
    wire [33:0] tgt  = {2'b00, ib} + 34'd1 + disp;
    wire        tgt_out = tgt[33] || (tgt >= {2'b00, n});
    wire [AW-1:0] tgt_m1 = tgt[AW-1:0] - 1'b1;
    wire        tgt_half = (tgt != 34'd0) && lddw_at[tgt_m1];
    wire [7:0]  tgt_kind = (tgt_out || tgt_half) ? BAD_JUMP : OK;

    wire        alu_bad_off;
    assign alu_bad_off = (code == 4'h3 || code == 4'h9) ? !(off == 16'd0 || off == 16'd1) :
                         (code == 4'hb && x && off != 16'd0) ?
                             !(off == 16'd8 || off == 16'd16 || (is64 && off == 16'd32)) :
                         (off != 16'd0);

    reg [7:0] b_kind;
    always @(*) begin
        b_kind = OK;
        if (src > 4'd10 || dst > 4'd10) begin
            b_kind = BAD_REG;
        end else begin
            case (cls)
            3'd4, 3'd7: begin                               // ALU, ALU64
                if (dst == 4'd10)
                    b_kind = BAD_REG;
                else if (code == 4'hd)
                    b_kind = (src != 4'd0 || off != 16'd0 || (is64 && x) ||
                              !(imm == 32'd16 || imm == 32'd32 || imm == 32'd64)) ? INSN : OK;
                else if (code == 4'h8)
                    b_kind = (x || src != 4'd0 || off != 16'd0 || imm != 32'd0) ? INSN : OK;
                else if (code > 4'hd)
                    b_kind = INSN;
                else if (x ? imm != 32'd0 : src != 4'd0)
                    b_kind = INSN;
                else if (alu_bad_off)
                    b_kind = INSN;
            end
            3'd5, 3'd6: begin                               // JMP, JMP32
                case (code)
                4'h0:
                    if (x || dst != 4'd0 || src != 4'd0)
                        b_kind = INSN;
                    else if (is32j ? off != 16'd0 : imm != 32'd0)
                        b_kind = INSN;
                    else
                        b_kind = tgt_kind;
                4'h8:                                       // call
                    if (x || is32j || dst != 4'd0 || off != 16'd0 || src != 4'd1)
                        b_kind = INSN;                      // no helpers, no kfuncs
                    else
                        b_kind = tgt_kind;
                4'h9:
                    b_kind = (is32j || x || dst != 4'd0 || src != 4'd0 ||
                              off != 16'd0 || imm != 32'd0) ? INSN : OK;
                4'he, 4'hf:
                    b_kind = INSN;
                default:
                    b_kind = (x ? imm != 32'd0 : src != 4'd0) ? INSN : tgt_kind;
                endcase
            end
            3'd0: b_kind = INSN;                            // LD_ABS/IND, other LD
            3'd1: begin                                     // LDX
                if (dst == 4'd10)
                    b_kind = BAD_REG;
                else if (imm != 32'd0)
                    b_kind = INSN;
                else if (!(mode == 3'd3 || (mode == 3'd4 && size != 2'd3)))
                    b_kind = INSN;
            end
            3'd2:                                           // ST
                b_kind = (mode != 3'd3 || src != 4'd0) ? INSN : OK;
            default: begin                                  // STX
                if (mode == 3'd3)
                    b_kind = (imm != 32'd0) ? INSN : OK;
                else if (mode != 3'd6 || !(size == 2'd0 || size == 2'd3))
                    b_kind = INSN;
                else if (imm == 32'h00)
                    b_kind = OK;
                else if (imm == 32'h40 || imm == 32'h50 || imm == 32'ha0 ||
                         imm == 32'h01 || imm == 32'h41 || imm == 32'h51 ||
                         imm == 32'ha1 || imm == 32'he1 || imm == 32'hf1)
                    b_kind = (imm[0] && imm != 32'hf1 && src == 4'd10) ? BAD_REG : OK;
                else
                    b_kind = INSN;
            end
            endcase
        end
    end

    // Last instruction: exit or an unconditional jump, not a second slot.
    wire [7:0] last_op = last_w;
    wire       last_half = (n > 32'd1) && lddw_at[n[AW-1:0] - {{(AW-2){1'b0}}, 2'd2}];
    wire       last_ok = (last_op == 8'h95 || last_op == 8'h05 || last_op == 8'h06) &&
                         !last_half;

    reg [31:0] rd_i;
    assign rd_addr = rd_i[AW-1:0];
    assign reading = (vstate == V_B);

    always @(posedge clk) begin
        if (!rst_n) begin
            vstate <= V_IDLE;
            done   <= 1'b0;
            kind   <= OK;
            bad_pc <= 32'd0;
            ia     <= 32'd0;
            pair   <= 1'b0;
            a_kind <= OK;
            a_pc   <= 32'd0;
            last_w <= 8'd0;
            ib     <= 32'd0;
            b_on   <= 1'b0;
            rd_i   <= 32'd0;
        end else begin
            done <= 1'b0;
            case (vstate)
            V_IDLE: begin
                if (start) begin
                    vstate <= V_A;
                    ia     <= 32'd0;
                    pair   <= 1'b0;
                    a_kind <= OK;
                    a_pc   <= 32'd0;
                end
            end
            V_A: begin
                if (in_valid) begin
                    ia     <= ia + 32'd1;
                    last_w <= a_op;
                    if (pair) begin
                        pair <= 1'b0;
                        if (a_kind == OK && in_word[31:0] != 32'd0) begin
                            a_kind <= BAD_LDDW;
                            a_pc   <= ia;
                        end
                    end else if (a_op == 8'h18) begin
                        pair <= 1'b1;
                        if (a_kind == OK) begin
                            if (a_dst >= 4'd10) begin
                                a_kind <= BAD_REG;
                                a_pc   <= ia;
                            end else if (a_off != 16'd0 || a_src != 4'd0) begin
                                a_kind <= BAD_LDDW;
                                a_pc   <= ia;
                            end else if (in_last) begin
                                a_kind <= BAD_LDDW;   // no second slot
                                a_pc   <= ia;
                            end
                        end
                    end
                    if (in_last) begin
                        vstate <= V_B;
                        rd_i   <= 32'd0;
                        b_on   <= 1'b0;
                    end
                end
            end
            V_B: begin
                // rd_i is being read; rd_data holds word ib when b_on.
                rd_i <= rd_i + 32'd1;
                ib   <= rd_i;
                b_on <= (rd_i < n);
                if (a_kind != OK) begin
                    done   <= 1'b1;
                    kind   <= a_kind;
                    bad_pc <= a_pc;
                    vstate <= V_IDLE;
                end else if (b_on && !skip && b_kind != OK) begin
                    done   <= 1'b1;
                    kind   <= b_kind;
                    bad_pc <= ib;
                    vstate <= V_IDLE;
                end else if (b_on && ib + 32'd1 >= n) begin
                    done   <= 1'b1;
                    kind   <= last_ok ? OK : NO_EXIT;
                    bad_pc <= last_ok ? 32'd0 : n - 32'd1;
                    vstate <= V_IDLE;
                end
            end
            default: vstate <= V_IDLE;
            endcase
        end
    end
endmodule
