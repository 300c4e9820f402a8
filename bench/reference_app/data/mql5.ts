/**
 * MQL5 expert-advisor source of the size and shape the app's AI generates: a header, inputs from the
 * strategy params, the event handlers with type-specific logic, and helper functions until a drawn target
 * length is reached.
 */
import { integer, pick } from "./random.ts";
import type { Rng } from "../../trace/prng.ts";
import type { StrategyParams, StrategyType } from "./strategy.ts";

/** Code lengths in characters: drawn log-uniformly in [min, target max], never above max. */
export const codeLength = { min: 2_000, max: 12_000 } as const;

/** Room left under codeLength.max for the last helper or filler line. */
const lastPieceRoom = 400;

function input(name: string, value: unknown): string {
  if (typeof value === "number") {
    return `input ${Number.isInteger(value) ? "int" : "double"} Inp${name} = ${value};`;
  }
  if (typeof value === "boolean") return `input bool Inp${name} = ${value};`;
  if (typeof value === "string") return `input string Inp${name} = "${value}";`;
  return `// Inp${name}: ${JSON.stringify(value)}`;
}

function capitalised(name: string): string {
  return name[0].toUpperCase() + name.slice(1);
}

const entryLogic: Record<StrategyType, string> = {
  Trend: `   double fast = iMAGet(fastHandle, 1);
   double slow = iMAGet(slowHandle, 1);
   double fastPrev = iMAGet(fastHandle, 2);
   double slowPrev = iMAGet(slowHandle, 2);
   if(fastPrev <= slowPrev && fast > slow && CountPositions(POSITION_TYPE_BUY) == 0)
      OpenPosition(ORDER_TYPE_BUY);
   if(fastPrev >= slowPrev && fast < slow && CountPositions(POSITION_TYPE_SELL) == 0)
      OpenPosition(ORDER_TYPE_SELL);
   if(InpTrailingStop)
      ApplyTrailingStop(InpTrailingStopPips);`,
  Scalping: `   if(!InSession(InpSessionStart, InpSessionEnd)) return;
   long spread = SymbolInfoInteger(_Symbol, SYMBOL_SPREAD);
   if(spread > InpMaxSpreadPoints) return;
   double rsi = iRSIGet(rsiHandle, 1);
   if(rsi < InpRsiOversold && CountPositions(POSITION_TYPE_BUY) == 0)
      OpenPosition(ORDER_TYPE_BUY);
   if(rsi > InpRsiOverbought && CountPositions(POSITION_TYPE_SELL) == 0)
      OpenPosition(ORDER_TYPE_SELL);`,
  Grid: `   double price = SymbolInfoDouble(_Symbol, SYMBOL_BID);
   int levels = CountPositions(POSITION_TYPE_BUY) + CountPositions(POSITION_TYPE_SELL);
   if(levels >= InpGridLevels) return;
   if(MathAbs(price - lastGridPrice) >= InpGridStepPips * PipSize())
     {
      double volume = NormalizeLot(InpLotSize * MathPow(InpLotMultiplier, levels));
      OpenPositionWithVolume(price < lastGridPrice ? ORDER_TYPE_BUY : ORDER_TYPE_SELL, volume);
      lastGridPrice = price;
     }
   if(DrawdownPercent() > InpMaxDrawdownPercent)
      CloseAll("max drawdown");`,
  Martingale: `   int trades = CountPositions(POSITION_TYPE_BUY);
   if(trades == 0)
     {
      OpenPositionWithVolume(ORDER_TYPE_BUY, InpInitialLot);
      return;
     }
   if(trades >= InpMaxTrades || DrawdownPercent() > InpMaxDrawdownPercent) return;
   double lastPrice = LastEntryPrice(POSITION_TYPE_BUY);
   double bid = SymbolInfoDouble(_Symbol, SYMBOL_BID);
   if(lastPrice - bid >= InpStepPips * PipSize())
      OpenPositionWithVolume(ORDER_TYPE_BUY, NormalizeLot(LastVolume() * InpMultiplier));`,
  Custom: `   int signal = EvaluateSignals();
   if(signal > 0 && CountPositions(POSITION_TYPE_BUY) == 0)
      OpenPosition(ORDER_TYPE_BUY);
   if(signal < 0 && CountPositions(POSITION_TYPE_SELL) == 0)
      OpenPosition(ORDER_TYPE_SELL);
   ManageExits();`,
};

const helpers: readonly ((random: Rng) => string)[] = [
  () => `
//+------------------------------------------------------------------+
//| Counts open positions of this EA by type                         |
//+------------------------------------------------------------------+
int CountPositions(ENUM_POSITION_TYPE type)
  {
   int count = 0;
   for(int i = PositionsTotal() - 1; i >= 0; i--)
     {
      ulong ticket = PositionGetTicket(i);
      if(ticket == 0) continue;
      if(PositionGetInteger(POSITION_MAGIC) != InpMagicNumber) continue;
      if(PositionGetString(POSITION_SYMBOL) != _Symbol) continue;
      if((ENUM_POSITION_TYPE)PositionGetInteger(POSITION_TYPE) == type) count++;
     }
   return count;
  }
`,
  (random) => `
//+------------------------------------------------------------------+
//| Opens a market position with stop loss and take profit           |
//+------------------------------------------------------------------+
bool OpenPositionWithVolume(ENUM_ORDER_TYPE type, double volume)
  {
   MqlTradeRequest request = {};
   MqlTradeResult result = {};
   double price = type == ORDER_TYPE_BUY ? SymbolInfoDouble(_Symbol, SYMBOL_ASK)
                                         : SymbolInfoDouble(_Symbol, SYMBOL_BID);
   request.action = TRADE_ACTION_DEAL;
   request.symbol = _Symbol;
   request.volume = volume;
   request.type = type;
   request.price = price;
   request.deviation = ${integer(random, 3, 30)};
   request.magic = InpMagicNumber;
   request.comment = "QuantForge ${pick(random, ["v1", "v2", "beta", "live", "test"])}";
   if(!OrderSend(request, result))
     {
      PrintFormat("OrderSend failed: %d", GetLastError());
      return false;
     }
   return result.retcode == TRADE_RETCODE_DONE;
  }
`,
  (random) => `
//+------------------------------------------------------------------+
//| Moves stops behind price once the position is in profit          |
//+------------------------------------------------------------------+
void ApplyTrailingStop(int pips)
  {
   double distance = pips * PipSize();
   for(int i = PositionsTotal() - 1; i >= 0; i--)
     {
      ulong ticket = PositionGetTicket(i);
      if(PositionGetInteger(POSITION_MAGIC) != InpMagicNumber) continue;
      double open = PositionGetDouble(POSITION_PRICE_OPEN);
      double sl = PositionGetDouble(POSITION_SL);
      double bid = SymbolInfoDouble(_Symbol, SYMBOL_BID);
      if(bid - open > distance * ${integer(random, 1, 3)} && bid - distance > sl)
         ModifyStop(ticket, NormalizeDouble(bid - distance, _Digits));
     }
  }
`,
  (random) => `
//+------------------------------------------------------------------+
//| Drawdown of the account in percent of the balance                |
//+------------------------------------------------------------------+
double DrawdownPercent()
  {
   double balance = AccountInfoDouble(ACCOUNT_BALANCE);
   double equity = AccountInfoDouble(ACCOUNT_EQUITY);
   if(balance <= 0) return 0;
   return (balance - equity) / balance * ${pick(random, ["100.0", "100"])};
  }
`,
  () => `
//+------------------------------------------------------------------+
//| True inside the trading session (server time)                    |
//+------------------------------------------------------------------+
bool InSession(string start, string end)
  {
   datetime now = TimeCurrent();
   MqlDateTime t;
   TimeToStruct(now, t);
   int minutes = t.hour * 60 + t.min;
   int from = (int)StringToInteger(StringSubstr(start, 0, 2)) * 60 + (int)StringToInteger(StringSubstr(start, 3, 2));
   int to = (int)StringToInteger(StringSubstr(end, 0, 2)) * 60 + (int)StringToInteger(StringSubstr(end, 3, 2));
   if(t.day_of_week == 0 || t.day_of_week == 6) return false;
   return from <= to ? (minutes >= from && minutes < to) : (minutes >= from || minutes < to);
  }
`,
  (random) => `
//+------------------------------------------------------------------+
//| Lot size from risk percent and stop distance                     |
//+------------------------------------------------------------------+
double LotFromRisk(double riskPercent, double stopPips)
  {
   double tickValue = SymbolInfoDouble(_Symbol, SYMBOL_TRADE_TICK_VALUE);
   double risk = AccountInfoDouble(ACCOUNT_BALANCE) * riskPercent / 100.0;
   if(tickValue <= 0 || stopPips <= 0) return SymbolInfoDouble(_Symbol, SYMBOL_VOLUME_MIN);
   double lots = risk / (stopPips * PipSize() / _Point * tickValue);
   return NormalizeLot(MathMin(lots, ${integer(random, 1, 20)}.0));
  }
`,
  (random) => `
//+------------------------------------------------------------------+
//| Closes every position of this EA                                 |
//+------------------------------------------------------------------+
void CloseAll(string reason)
  {
   PrintFormat("Closing all positions: %s", reason);
   for(int i = PositionsTotal() - 1; i >= 0; i--)
     {
      ulong ticket = PositionGetTicket(i);
      if(PositionGetInteger(POSITION_MAGIC) != InpMagicNumber) continue;
      trade.PositionClose(ticket, ${integer(random, 3, 50)});
     }
  }
`,
  (random) => `
//+------------------------------------------------------------------+
//| Rounds a volume to the symbol's lot step                         |
//+------------------------------------------------------------------+
double NormalizeLot(double volume)
  {
   double step = SymbolInfoDouble(_Symbol, SYMBOL_VOLUME_STEP);
   double minLot = SymbolInfoDouble(_Symbol, SYMBOL_VOLUME_MIN);
   double maxLot = MathMin(SymbolInfoDouble(_Symbol, SYMBOL_VOLUME_MAX), ${integer(random, 5, 100)}.0);
   volume = MathFloor(volume / step) * step;
   return NormalizeDouble(MathMax(minLot, MathMin(maxLot, volume)), 2);
  }
`,
  (random) => `
//+------------------------------------------------------------------+
//| Combines the indicator signals: +1 buy, -1 sell, 0 none           |
//+------------------------------------------------------------------+
int EvaluateSignals()
  {
   int votes = 0;
   double rsi = iRSIGet(rsiHandle, 1);
   double macd = iMACDGet(macdHandle, MAIN_LINE, 1);
   double signal = iMACDGet(macdHandle, SIGNAL_LINE, 1);
   if(rsi < ${integer(random, 20, 40)}) votes++;
   if(rsi > ${integer(random, 60, 80)}) votes--;
   if(macd > signal) votes++;
   if(macd < signal) votes--;
   return votes >= 2 ? 1 : (votes <= -2 ? -1 : 0);
  }
`,
];

/** MQL5 source for a robot; its length is in [codeLength.min, codeLength.max]. */
export function mql5Code(
  random: Rng,
  name: string,
  type: StrategyType,
  params: StrategyParams,
  version: number,
): string {
  const target = Math.floor(
    codeLength.min * Math.pow((codeLength.max - lastPieceRoom) / codeLength.min, random()),
  );
  const inputs = Object.entries(params).map(([key, value]) => input(capitalised(key), value));
  let code = `//+------------------------------------------------------------------+
//|                                                ${name.slice(0, 40).padEnd(40)} |
//|                         Generated by QuantForge AI (${type.padEnd(10)})       |
//+------------------------------------------------------------------+
#property copyright "QuantForge AI"
#property link      "https://quantforge.ai"
#property version   "${version}.${integer(random, 0, 9)}"
#property strict

#include <Trade\\Trade.mqh>

CTrade trade;
${inputs.join("\n")}

int fastHandle = INVALID_HANDLE;
int slowHandle = INVALID_HANDLE;
int rsiHandle = INVALID_HANDLE;
int macdHandle = INVALID_HANDLE;
double lastGridPrice = 0;

//+------------------------------------------------------------------+
//| Expert initialization function                                   |
//+------------------------------------------------------------------+
int OnInit()
  {
   trade.SetExpertMagicNumber(InpMagicNumber);
   rsiHandle = iRSI(_Symbol, PERIOD_CURRENT, ${integer(random, 7, 21)}, PRICE_CLOSE);
   macdHandle = iMACD(_Symbol, PERIOD_CURRENT, 12, 26, 9, PRICE_CLOSE);
   if(rsiHandle == INVALID_HANDLE || macdHandle == INVALID_HANDLE)
      return INIT_FAILED;
   return INIT_SUCCEEDED;
  }

//+------------------------------------------------------------------+
//| Expert deinitialization function                                 |
//+------------------------------------------------------------------+
void OnDeinit(const int reason)
  {
   IndicatorRelease(rsiHandle);
   IndicatorRelease(macdHandle);
  }

//+------------------------------------------------------------------+
//| Expert tick function                                             |
//+------------------------------------------------------------------+
void OnTick()
  {
   if(!IsNewBar()) return;
${entryLogic[type]}
  }
`;
  const start = integer(random, 0, helpers.length - 1);
  for (let i = 0; code.length < target; i++) {
    const helper = helpers[(start + i) % helpers.length](random);
    code += code.length + helper.length <= codeLength.max
      ? helper
      : `// tuning note ${i}: keep the spread filter and the session window in sync\n`;
  }
  return code;
}
